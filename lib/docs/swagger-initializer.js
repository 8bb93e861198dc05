// Starts Swagger UI on /api/docs. A file of its own rather than an inline script: the page's
// Content-Security-Policy runs scripts from the service only.
window.ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  deepLinking: true,
  displayRequestDuration: true,
  // No call to the public validator service: the docs work offline and tell no one what they load.
  validatorUrl: null,
  // A token typed into "Authorize" lives only as long as the page: never in localStorage.
  persistAuthorization: false,
});
