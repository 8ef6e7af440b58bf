/**
 * Which addresses belong to the public (群众) pages. Kept free of imports: main.tsx reads it before
 * deciding which app to load.
 *
 * /report, /r, /r/<code>, /exposure and /enterprise-register (企业注册) are public whoever opens them. /s/<token> — the URL on a
 * site's QR poster — is public only for a visitor without a session; an official keeps the
 * inspection flow there.
 */

export function isQrPath(path: string): boolean {
  return /^\/s\/[^/]+\/?$/.test(path);
}

export function isPublicOnlyPath(path: string): boolean {
  return path === '/report' || path === '/exposure' || path === '/r' || /^\/r\/[^/]+\/?$/.test(path)
    || path === '/enterprise-register' || /^\/enterprise-register\/\d+-[0-9a-f]+\/?$/.test(path);
}

/** Every path the public app can show (for a visitor without a session). */
export function isPublicPath(path: string): boolean {
  return isPublicOnlyPath(path) || isQrPath(path);
}
