// Quality review: a comment takes the player's current time; a comment's time seeks the player.
document.addEventListener("DOMContentLoaded", () => {
  const player = document.getElementById("player");
  const offset = document.getElementById("offset");
  if (!player) return;
  player.addEventListener("timeupdate", () => { if (offset) offset.value = player.currentTime.toFixed(1); });
  document.querySelectorAll("a.seek").forEach((a) => a.addEventListener("click", (ev) => {
    ev.preventDefault();
    player.currentTime = parseFloat(a.dataset.t || "0");
    player.play();
  }));
});
