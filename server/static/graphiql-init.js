// GraphiQL for /graphql on this origin, made the fund office's console: the 业务操作 pane has a
// login box (it puts the token in the Headers editor and says when the login has expired) and
// ready, commented operations for every task of each role (server/console_operations.py, served
// at /graphiql/operations.json); a click opens one in a new tab. Everything is local.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  if (typeof window.React === "undefined" || typeof window.ReactDOM === "undefined" || typeof window.GraphiQL === "undefined") {
    root.className = "missing";
    root.innerHTML =
      "<h1>维修资金 GraphiQL</h1>" +
      "<p>GraphiQL 的前端资源未安装（server/static/vendor）。请在有网络时运行 <code>python3 dev.py serve</code> 安装；GraphQL 接口 <code>/graphql</code> 仍可正常使用。</p>" +
      "<p>The GraphiQL assets are missing (server/static/vendor). Run <code>python3 dev.py serve</code> with network access to install them; the GraphQL API at <code>/graphql</code> works regardless.</p>";
    return;
  }
  var h = React.createElement;
  var useEditorContext = GraphiQL.React.useEditorContext;
  var url = window.location.origin + "/graphql";
  var STORE = "wxfund-console-login";

  var QUERY = [
    "# 维修资金 GraphQL 控制台",
    "# 1. 在左侧“业务操作”中登录（令牌自动放入 Headers）。",
    "# 2. 点击一项操作，它在新标签页中打开；按注释填写变量，再点击运行（Ctrl-Enter）。",
    "# 右侧 Docs 是全部类型和字段的说明。",
    "",
    "{ me { name roles } }",
    "",
  ].join("\n");

  // ---------------------------------------------------------------- the login, kept for the tab's life
  var login = null; // {token, expiresAt, username, name, roles}
  var expiredReason = null;
  var listeners = [];
  try { login = JSON.parse(window.sessionStorage.getItem(STORE) || "null"); } catch (e) { login = null; }

  function notify() { listeners.forEach(function (fn) { fn(); }); }
  function setLogin(value, reason) {
    login = value;
    expiredReason = reason || null;
    if (value) { window.sessionStorage.setItem(STORE, JSON.stringify(value)); }
    else { window.sessionStorage.removeItem(STORE); }
    notify();
  }
  function expired() { return login !== null && Date.parse(login.expiresAt) <= Date.now(); }
  function authHeaders() { return login && !expired() ? { Authorization: "Bearer " + login.token } : {}; }
  function headersText() { return login ? JSON.stringify({ Authorization: "Bearer " + login.token }, null, 2) : "{}"; }

  function post(query, variables, headers) {
    return fetch(url, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json", Accept: "application/json" }, headers || {}),
      body: JSON.stringify({ query: query, variables: variables || {} }),
    }).then(function (r) { return r.json(); });
  }

  function firstError(body) { return body && body.errors && body.errors.length ? body.errors[0] : null; }

  // Every request carries the login's token unless its own headers say otherwise; an answer that
  // says the token is no longer good marks the login expired on the page.
  var base = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, "ws") });
  function fetcher(params, opts) {
    var headers = Object.assign({}, authHeaders(), (opts && opts.headers) || {});
    var result = base(params, Object.assign({}, opts || {}, { headers: headers }));
    if (result && typeof result.then === "function") {
      result.then(function (body) {
        var err = firstError(body);
        if (login && err && err.extensions && err.extensions.code === "UNAUTHENTICATED") {
          setLogin(login, "登录已失效（已过期、已退出或账号已注销），请重新登录。");
        }
      }, function () {});
    }
    return result;
  }

  window.setInterval(function () { if (expired() && !expiredReason) { setLogin(login, "登录已过期，请重新登录。"); } }, 15000);

  function useLogin() {
    var state = React.useState(0);
    React.useEffect(function () {
      var fn = function () { state[1](function (n) { return n + 1; }); };
      listeners.push(fn);
      return function () { listeners = listeners.filter(function (x) { return x !== fn; }); };
    }, []);
    return login;
  }

  // ---------------------------------------------------------------- the pane
  function LoginBox(props) {
    var current = useLogin();
    var username = React.useState(current ? current.username : "");
    var password = React.useState("");
    var message = React.useState(null);
    var busy = React.useState(false);

    function submit(event) {
      event.preventDefault();
      busy[1](true);
      message[1](null);
      post("mutation Login($username: String!, $password: String!) { login(username: $username, password: $password) { token expiresAt user { username name roles } } }",
        { username: username[0], password: password[0] })
        .then(function (body) {
          var err = firstError(body);
          if (err) { message[1](err.message); return; }
          var r = body.data.login;
          setLogin({ token: r.token, expiresAt: r.expiresAt, username: r.user.username, name: r.user.name, roles: r.user.roles });
          password[1]("");
          props.onToken(headersText());
        })
        .catch(function () { message[1]("无法连接服务，请稍后再试。"); })
        .then(function () { busy[1](false); });
    }

    function logout() {
      if (login && !expired()) { post("mutation Logout { logout }", {}, authHeaders()).catch(function () {}); }
      setLogin(null);
      props.onToken("{}");
    }

    if (current && !expiredReason) {
      var until = new Date(current.expiresAt);
      return h("div", { className: "wx-login", role: "status" },
        h("p", null, "已登录：", h("strong", null, current.name), "（", current.username, "，", current.roles.join("、"), "）"),
        h("p", { className: "wx-muted" }, "令牌有效至 ", until.toLocaleString("zh-CN", { hour12: false }), "；已放入 Headers。"),
        h("button", { type: "button", className: "wx-button", onClick: logout }, "退出登录"));
    }
    return h("form", { className: "wx-login", onSubmit: submit, "aria-label": "登录" },
      expiredReason ? h("p", { className: "wx-error", role: "alert" }, expiredReason) : null,
      h("label", null, "用户名", h("input", { name: "username", autoComplete: "username", value: username[0], required: true,
        onChange: function (e) { username[1](e.target.value); } })),
      h("label", null, "密码", h("input", { name: "password", type: "password", autoComplete: "current-password", value: password[0], required: true,
        onChange: function (e) { password[1](e.target.value); } })),
      message[0] ? h("p", { className: "wx-error", role: "alert" }, message[0]) : null,
      h("button", { type: "submit", className: "wx-button", disabled: busy[0] }, busy[0] ? "登录中…" : "登录"));
  }

  function ConsolePane() {
    var editors = useEditorContext({ nonNull: true });
    var current = useLogin();
    var catalogue = React.useState(null);
    React.useEffect(function () {
      fetch("/graphiql/operations.json").then(function (r) { return r.json(); }).then(catalogue[1]);
    }, []);

    function setHeaders(text) {
      if (editors.headerEditor) { editors.headerEditor.setValue(text); }
    }
    function open(operation) {
      editors.addTab();
      // The new tab's editors are laid out on the next tick; then its query, variables and headers.
      window.setTimeout(function () {
        editors.queryEditor && editors.queryEditor.setValue(operation.query);
        editors.variableEditor && editors.variableEditor.setValue(operation.variables);
        if (login) { setHeaders(headersText()); }
      }, 0);
    }

    var sections = [];
    if (catalogue[0]) {
      var roles = Object.keys(catalogue[0].roles);
      var mine = current ? current.roles : [];
      roles.sort(function (a, b) { return (mine.indexOf(b) >= 0) - (mine.indexOf(a) >= 0); });
      sections = roles.map(function (role) {
        var ops = catalogue[0].operations.filter(function (o) { return o.role === role; });
        return h("details", { key: role, open: !current || mine.indexOf(role) >= 0 },
          h("summary", null, catalogue[0].roles[role]),
          h("ul", null, ops.map(function (o) {
            return h("li", { key: o.title },
              h("button", { type: "button", className: "wx-op", title: o.query.split("\n")[0].replace(/^#\s*/, ""),
                onClick: function () { open(o); } }, o.title));
          })));
      });
    }
    return h("div", { className: "wx-console" },
      h("div", { className: "graphiql-doc-explorer-title" }, "业务操作"),
      h(LoginBox, { onToken: setHeaders }),
      h("p", { className: "wx-muted" }, "点击操作，在新标签页中打开；按注释填写变量后运行。"),
      catalogue[0] ? sections : h("p", { className: "wx-muted" }, "加载中…"));
  }

  var consolePlugin = {
    title: "业务操作",
    icon: function () { return h("span", { "aria-hidden": true, style: { fontSize: "18px" } }, "办"); },
    content: ConsolePane,
  };

  ReactDOM.createRoot(root).render(
    h(GraphiQL, {
      fetcher: fetcher,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      defaultQuery: QUERY,
      defaultHeaders: headersText(),
      plugins: [consolePlugin],
      visiblePlugin: consolePlugin,
    })
  );
})();
