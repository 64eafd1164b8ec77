// The OpenAPI browser, from the package's own copy of swagger-ui (no CDN).
window.addEventListener("DOMContentLoaded", () => {
  window.SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger" });
});
