import "./lazy.css";

export function lazyValue() {
  return "loaded";
}
