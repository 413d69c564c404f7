// Runs in the /widget/{id} page. It tells the page that frames the box
// whether it loaded and how tall it is, so that page may fit the iframe:
//   addEventListener("message", e => { if (e.data.paperlens === "related") frame.height = e.data.height });
(() => {
  "use strict";
  const box = document.querySelector(".plr");
  if (!box || window.parent === window) return;
  const send = () => {
    window.parent.postMessage({
      paperlens: "related",
      state: box.dataset.state,
      links: box.querySelectorAll(".plr-list a").length,
      height: Math.ceil(box.getBoundingClientRect().height),
    }, "*");
  };
  send();
  if (window.ResizeObserver) new ResizeObserver(send).observe(box);
})();
