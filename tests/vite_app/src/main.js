import "./main.css";
import { greet } from "./shared.js";
import logoUrl from "./logo.svg";

const img = document.createElement("img");
img.id = "logo";
img.src = logoUrl;
img.alt = "logo";
document.body.append(img);
document.body.dataset.main = greet("main");

document.body.dataset.lazy = "pending";
import("./lazy.js").then(({ lazyValue }) => {
  document.body.dataset.lazy = lazyValue();
});
