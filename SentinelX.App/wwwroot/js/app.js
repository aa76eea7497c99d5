// Small helpers the server-side components call through JS interop.
window.sentinelx = {
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
  copyText: async (text) => {
    try { await navigator.clipboard.writeText(text); return true; }
    catch {
      // Clipboard API needs a secure context; fall back for plain-http home servers.
      const area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      const ok = document.execCommand("copy"); area.remove(); return ok;
    }
  },
};
