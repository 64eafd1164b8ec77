#!/usr/bin/env bash
# The Debian packages railwatch needs beside its Python ones, for `make test` and `make demo`.
#
#   scripts/setup-system.sh venv                  # before `python3 -m venv` (PY names the python)
#   scripts/setup-system.sh pdf                   # what `make demo` needs
#   scripts/setup-system.sh pdf postgres browser cpu  # what `make test` needs
#
# Checks what is there (in milliseconds, no apt-get when nothing is missing). What is missing is
# installed with apt-get when we are root or may sudo without a password; otherwise the script
# stops with one line naming the packages and the command to run. RAILWATCH_SKIP_SYSTEM=1 skips
# the whole check (a machine set up some other way).
set -euo pipefail

[ "${RAILWATCH_SKIP_SYSTEM:-}" = 1 ] && exit 0

have_lib() { ldconfig -p 2>/dev/null | grep -q "$1" || compgen -G "/usr/lib/*/$1*" >/dev/null; }

need=()
for group in "$@"; do
  case "$group" in
    venv) # Debian's python3 makes no venv without ensurepip, which python3-venv adds.
      "${PY:-python3}" -c "import ensurepip, venv" 2>/dev/null || need+=(python3-venv) ;;
    pdf) # WeasyPrint renders the PDF through Pango and HarfBuzz, in DejaVu type.
      have_lib libpango-1.0.so || need+=(libpango-1.0-0)
      have_lib libpangoft2-1.0.so || need+=(libpangoft2-1.0-0)
      have_lib libharfbuzz.so || need+=(libharfbuzz0b)
      compgen -G "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" >/dev/null \
        || need+=(fonts-dejavu-core) ;;
    postgres) # tests/test_store_postgres.py starts a throwaway PostgreSQL server.
      compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql) ;;
    browser) # the browser tests drive Chromium through chromedriver.
      command -v chromium >/dev/null || need+=(chromium)
      command -v chromedriver >/dev/null || need+=(chromium-driver) ;;
    cpu) # tests/test_detect_quantize.py runs the int8 model on an emulated AVX2 CPU (x86-64 only).
      [ "$(uname -m)" != x86_64 ] || command -v qemu-x86_64 >/dev/null || need+=(qemu-user) ;;
    *) echo "setup-system.sh: unknown group '$group' (venv, pdf, postgres, browser, cpu)" >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

install="apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${need[*]}"
if ! command -v apt-get >/dev/null; then
  echo "railwatch needs the system packages ${need[*]} (Debian names); install them with your package manager" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "railwatch needs the system packages ${need[*]}: run  sudo sh -c '$install'" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}" >&2
"${sudo[@]}" apt-get update -q >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2
