// The share-request form: say at once when every marked clause is "free to share" (no review needed).
document.addEventListener("DOMContentLoaded", () => {
  const notice = document.getElementById("no-review-notice");
  const boxes = Array.from(document.querySelectorAll("input[data-klass]"));
  if (!notice || !boxes.length) return;
  const update = () => {
    const marked = boxes.filter((box) => box.checked);
    notice.hidden = !(marked.length && marked.every((box) => box.dataset.klass === "free_to_share"));
  };
  boxes.forEach((box) => box.addEventListener("change", update));
  update();
});
