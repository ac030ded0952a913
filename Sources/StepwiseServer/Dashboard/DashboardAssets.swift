import Crypto
import Foundation
import Hummingbird

/// The dashboard's stylesheet and script, served by Stepwise itself (no CDN, no web fonts:
/// the system font stack). Colours meet WCAG AA contrast on white.
enum DashboardAssets {
    static let css = """
        :root{--ink:#1b1f24;--muted:#4f5861;--line:#d5d9de;--accent:#2f5f9e;--band:#d6e2f2;--leak:#b3261e;--ok:#1e6b3a;--bg:#f6f8fa}
        *{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);background:#fff}
        a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus,summary:focus{outline:3px solid #f2b705;outline-offset:2px}
        .skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:9}
        header{background:var(--ink);color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
        header a{color:#fff}header .brand{font-weight:700;text-decoration:none;font-size:1.1rem}
        header form{margin-left:auto}header button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:.2rem .6rem;cursor:pointer}
        nav.tabs{border-bottom:1px solid var(--line);padding:0 1rem;display:flex;flex-wrap:wrap;gap:.2rem;background:var(--bg)}
        nav.tabs a{padding:.55rem .7rem;text-decoration:none;color:var(--ink);border-bottom:3px solid transparent}
        nav.tabs a[aria-current=page]{border-bottom-color:var(--accent);font-weight:600}
        main{max-width:72rem;margin:0 auto;padding:1rem}
        form.filters{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:flex-end;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.7rem;margin-bottom:1rem}
        form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
        form.filters label.check{flex-direction:row;gap:.3rem;align-items:center}
        input,select,button{font:inherit}input[type=text],input[type=date],input[type=password],select{padding:.3rem .4rem;border:1px solid #8a939c;border-radius:4px;min-width:8rem}
        button.primary{background:var(--accent);color:#fff;border:0;border-radius:4px;padding:.4rem .9rem;cursor:pointer}
        .kpis{display:flex;flex-wrap:wrap;gap:1rem;margin:.5rem 0 1rem}.kpi{border:1px solid var(--line);border-radius:6px;padding:.6rem .9rem;min-width:10rem}
        .kpi .value{font-size:1.6rem;font-weight:650}.kpi .label{color:var(--muted);font-size:.85rem}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;margin:.4rem 0 1.4rem}
        th,td{padding:.35rem .55rem;border-bottom:1px solid var(--line);text-align:right;vertical-align:top}
        th:first-child,td:first-child,.text{text-align:left}td.text{min-width:14rem}thead th{font-weight:600;background:var(--bg)}tbody th{font-weight:500}
        .muted{color:var(--muted)}.leak{color:var(--leak);font-weight:600}.good{color:var(--ok)}
        .alert{border:1px solid var(--leak);background:#fdecea;color:#6e1711;padding:.6rem .8rem;border-radius:6px}
        .note{border-left:4px solid var(--accent);background:var(--bg);padding:.5rem .8rem}
        svg.chart{width:100%;height:auto;max-width:46rem;display:block}svg text{font:12px system-ui,sans-serif;fill:var(--ink)}
        .verdict{display:inline-block;border-radius:3px;padding:0 .35rem;font-size:.85rem;border:1px solid var(--line)}
        .verdict.strong,.verdict.ship{background:#e3f1e7}.verdict.vanity,.verdict.negative,.verdict.do_not_ship,.verdict.stop{background:#fdecea}
        h1{font-size:1.5rem;margin:.2rem 0 .6rem}h2{font-size:1.2rem;margin:1.6rem 0 .4rem}
        @media (max-width:600px){svg.chart text{font-size:20px}main{padding:.6rem}form.filters{flex-direction:column;align-items:stretch}.kpi{flex:1 1 40%;min-width:0}td,th{padding:.3rem}}
        """

    /// Progressive only: pickers apply themselves; every form still has its button.
    static let js = """
        document.querySelectorAll('select[data-autosubmit]').forEach(function(s){s.addEventListener('change',function(){s.form.requestSubmit?s.form.requestSubmit():s.form.submit();});});
        document.querySelectorAll('button[data-copy]').forEach(function(b){b.addEventListener('click',function(){var u=new URL(b.getAttribute('data-copy'),location.href).href;if(navigator.clipboard){navigator.clipboard.writeText(u);}b.textContent='Copied';});});
        """

    static let cssTag = etag(css)
    static let jsTag = etag(js)

    static func etag(_ text: String) -> String {
        "\"" + SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined() + "\""
    }

    static func addRoutes(to router: Router<StepwiseRequestContext>) {
        for (path, body, type, tag) in [("/assets/dashboard.css", css, "text/css; charset=utf-8", cssTag),
                                         ("/assets/dashboard.js", js, "application/javascript; charset=utf-8", jsTag)] {
            router.get(RouterPath(path)) { request, _ in
                if request.headers[.ifNoneMatch] == tag { return Response(status: .notModified, headers: [.eTag: tag]) }
                return Response(status: .ok, headers: [.contentType: type, .eTag: tag, .cacheControl: "public, max-age=3600"],
                                body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }
}
