// The login token lives in localStorage so a reload keeps the session; everything else the
// portal knows comes from the API (urql's cache) or the URL.
const KEY = 'wxfund.token';

export function getToken(): string | null {
  return localStorage.getItem(KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(KEY, token);
  else localStorage.removeItem(KEY);
  window.dispatchEvent(new Event('wxfund-token'));
}
