/*! tenx ctx.js: keeps the ctx of a tenx short link in a first-party cookie; window.tenx.ctx() reads it. */
(function (w, d) {
  var s = d.currentScript;
  var attr = function (n) { return s ? s.getAttribute(n) : null; };
  // data-days: cookie lifetime (default 30; browsers cap cookies at 400 days). data-param: the campaign's ctx parameter.
  var days = parseInt(attr('data-days'), 10);
  if (!(days > 0)) days = 30;
  var param = attr('data-param') || 'ctx';
  var fromUrl = null;
  try {
    fromUrl = new URLSearchParams(w.location.search).get(param);
  } catch {
    // No URLSearchParams (very old browser): keep what the cookie holds.
  }
  // A ctx is base64url: anything else is not one, and could not inject cookie attributes either.
  if (fromUrl && /^[A-Za-z0-9_-]{1,512}$/.test(fromUrl)) {
    // The latest click wins, as attribution does.
    d.cookie = 'tenx_ctx=' + fromUrl + '; Max-Age=' + Math.min(days, 400) * 86400 + '; Path=/; SameSite=Lax' +
      (w.location.protocol === 'https:' ? '; Secure' : '');
  } else {
    fromUrl = null;
  }
  w.tenx = w.tenx || {};
  /** The ctx of this visitor's latest tenx click, or null (the URL's value if cookies are blocked). */
  w.tenx.ctx = function () {
    var m = /(?:^|;\s*)tenx_ctx=([A-Za-z0-9_-]+)/.exec(d.cookie);
    return m ? m[1] : fromUrl;
  };
})(window, document);
