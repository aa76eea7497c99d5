// The Docker tab: poll only while it is on screen, and keep a following log scrolled to its end.
export function visible(element) {
    return !!element && element.offsetParent !== null && document.visibilityState === "visible";
}

export function scrollToEnd(element) {
    if (element) element.scrollTop = element.scrollHeight;
}
