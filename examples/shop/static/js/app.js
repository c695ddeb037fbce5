// Marks the page as scripted, so a test (and a person) can see that the script ran.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("status");
  status.textContent = "Assets loaded from the CDN";
  document.body.dataset.scripted = "yes";
});
//# sourceMappingURL=app.js.map
