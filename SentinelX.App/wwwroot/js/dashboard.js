// Tells the dashboard how wide it is, so cards can be virtualized a row at a time.
export function observeWidth(element, dotnet) {
  let last = -1;
  const report = () => {
    const width = Math.round(element.clientWidth);
    if (width !== last) { last = width; dotnet.invokeMethodAsync("SetWidth", width); }
  };
  const observer = new ResizeObserver(report);
  observer.observe(element);
  report();
  return { dispose: () => observer.disconnect() };
}
