// The knowledge editor's Markdown toolbar: wraps the selection in the body textarea (or inserts a
// template at the cursor). The server turns the Markdown into HTML and sanitises it (nh3).
(function () {
  "use strict";
  var MARKS = {
    bold: ["**", "**", "加粗文字"], italic: ["*", "*", "斜体文字"], heading: ["\n### ", "\n", "小标题"],
    ul: ["\n- ", "\n", "列表项"], ol: ["\n1. ", "\n", "第一项"], link: ["[", "](https://www.12333.gov.cn/)", "链接文字"]
  };
  function apply(area, action) {
    var mark = MARKS[action];
    if (!mark) { return; }
    var start = area.selectionStart, end = area.selectionEnd, text = area.value;
    var chosen = text.slice(start, end) || mark[2];
    area.value = text.slice(0, start) + mark[0] + chosen + mark[1] + text.slice(end);
    area.focus();
    area.setSelectionRange(start + mark[0].length, start + mark[0].length + chosen.length);
  }
  document.addEventListener("click", function (evt) {
    var button = evt.target && evt.target.closest ? evt.target.closest("[data-md]") : null;
    var area = document.getElementById("f-body");
    if (button && area) { evt.preventDefault(); apply(area, button.getAttribute("data-md")); }
  });
})();
