// Small DOM and formatting helpers shared by the dashboard's views.

/** Creates an element: el("td", {class: "x", dataset: {id: 1}}, "text", child, …). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Sets `node.textContent` only when it changes (no layout work otherwise). */
export function setText(node, text) {
  const value = text == null ? "" : String(text);
  if (node.textContent !== value) node.textContent = value;
}

const integer = new Intl.NumberFormat();
/** 12345 → "12,345". */
export const formatCount = (n) => integer.format(n ?? 0);

const timeOfDay = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
let lastSecond = NaN;
let lastText = "";
/** A time of day (hh:mm:ss) from an RFC 3339 string, a Date or milliseconds (one formatting per second). */
export function formatTime(value) {
  if (value == null) return "";
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(ms)) return "";
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = timeOfDay.format(ms);
  }
  return lastText;
}

/** "3 s ago", "5 min ago", … from an RFC 3339 string. */
export function formatAge(value, now = Date.now()) {
  if (!value) return "";
  const seconds = Math.max(0, Math.round((now - new Date(value).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** A task id shortened for tables: its first 8 characters. */
export const shortID = (id) => (id ?? "").slice(0, 8);

/** Whether a task in `status` can be cancelled; retried. */
export const canCancel = (status) => status === "pending" || status === "running";
export const canRetry = (status) => status === "failed" || status === "cancelled";
