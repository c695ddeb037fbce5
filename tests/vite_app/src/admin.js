import "./admin.css";
import { greet } from "./shared.js";

document.body.dataset.admin = greet("admin");
