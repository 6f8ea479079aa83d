// GraphiQL for /graphql on this origin. Put {"Authorization": "Bearer <token>"} in the Headers
// editor: it goes with every HTTP request and, for subscriptions, as the graphql-transport-ws
// connection_init payload.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  if (typeof window.React === "undefined" || typeof window.ReactDOM === "undefined" || typeof window.GraphiQL === "undefined") {
    root.className = "missing";
    root.innerHTML =
      "<h1>维修资金 GraphiQL</h1>" +
      "<p>GraphiQL 的前端资源未安装（core/static/vendor）。请在有网络时运行 <code>python3 dev.py serve</code> 安装；GraphQL 接口 <code>/graphql</code> 仍可正常使用。</p>" +
      "<p>The GraphiQL assets are missing (core/static/vendor). Run <code>python3 dev.py serve</code> with network access to install them; the GraphQL API at <code>/graphql</code> works regardless.</p>";
    return;
  }
  var QUERY = [
    "# 维修资金 GraphQL",
    "# 1. 登录 Log in:",
    '#    mutation { login(username: "…", password: "…")',
    "#               { token expiresAt } }",
    "# 2. 在下方 Headers 填写 Put in Headers below:",
    '#    {"Authorization": "Bearer <token>"}',
    "",
    "{ me { name roles } }",
    "",
  ].join("\n");
  var url = window.location.origin + "/graphql";
  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: url.replace(/^http/, "ws"),
  });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      defaultQuery: QUERY,
    })
  );
})();
