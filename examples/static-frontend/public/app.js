// Talks to the container's API through the Worker (/api/*).
const list = document.getElementById("todos");
async function refresh() {
  const todos = await (await fetch("/api/todos")).json();
  list.replaceChildren(
    ...todos.map((todo) => Object.assign(document.createElement("li"), { textContent: todo.title })),
  );
}
document.getElementById("add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const title = new FormData(event.target).get("title");
  await fetch("/api/todos", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ title }),
  });
  event.target.reset();
  refresh();
});
refresh();
