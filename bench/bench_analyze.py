"""How long the activity judgment takes on long, irregular histories."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from railwatch.analyze import assess
from railwatch.records import Event, Observation


def _series(n: int, seed: int = 1) -> list[Observation]:
    rng = random.Random(seed)
    t = datetime(2010, 1, 1, 2, tzinfo=UTC)
    out = []
    for i in range(n):
        t += timedelta(days=rng.choice([1, 2, 3, 5, 8]))
        count = rng.randint(2, 20) if i < n - 5 else 30 + 10 * (i - n + 5)
        for cls, share in (("box", 0.7), ("flat", 0.3)):
            out.append(
                Observation(
                    site="tumangang",
                    observed_at=t,
                    railcar_class=cls,
                    count=round(count * share),
                    method="detector",
                    source="img",
                    image_id=i,
                    count_sigma=1.0,
                )
            )
    return out


def main() -> None:
    event = [Event(occurred_at=datetime(2030, 1, 1, tzinfo=UTC), title="x")]
    for n in (200, 1000, 3000):
        obs = _series(n)
        start = time.perf_counter()
        result = assess(obs, event, window="5y")
        took = time.perf_counter() - start
        print(
            f"assess: {n} dates ({len(obs)} observations, 5y window): {took:.2f} s, "
            f"latest {result.latest.level}, onset {result.onset.date if result.onset else None}"
        )


if __name__ == "__main__":
    main()
