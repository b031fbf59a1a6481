// newsintel API docs: renders the OpenAPI document named by the page's
// #swagger-ui data-spec-url with the vendored Swagger UI. Nothing is
// fetched from elsewhere: the validator badge (which calls out to a public
// validator) is switched off.
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  if (!el || typeof window.SwaggerUIBundle !== "function") return;
  window.ui = window.SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    domNode: el,
    validatorUrl: null,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
  });
})();
