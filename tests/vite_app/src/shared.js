import "./shared.css";

export function greet(who) {
  return `hello ${who}`;
}
