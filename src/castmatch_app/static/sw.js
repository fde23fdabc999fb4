// CastMatch service worker: precache the shell and the offline page; network-first for pages.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const CACHING = true;
const PRIVATE = ["/shortlist", "/auditions", "/join", "/signin", "/api/", "/_test/"];

self.addEventListener("install", (event) => {
  event.waitUntil((CACHING ? caches.open(VERSION).then((c) => c.addAll(SHELL)) : Promise.resolve())
    .then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
const remember = (request, response) => {
  if (CACHING && response.ok) {
    const copy = response.clone();
    caches.open(VERSION).then((c) => c.put(request, copy));
  }
  return response;
};
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || PRIVATE.some((p) => url.pathname.startsWith(p))) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).then((r) => remember(request, r))
      .catch(() => caches.match(request).then((hit) => hit || caches.match("/offline"))));
  } else if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/media/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request).then((r) => remember(request, r))));
  }
});
