// The "submit a task" form: checks the payload is JSON, posts the task, reports the outcome.

import { setText } from "./dom.js";

/**
 * @param {HTMLFormElement} form  fields name, queue, priority, max_attempts, payload
 * @param {(task: object) => Promise<object>} submit  posts the task, resolves with the created task
 */
export function bindSubmitForm(form, submit) {
  const status = form.querySelector(".form-status");
  const payloadField = form.elements.payload;
  const report = (text, kind) => {
    setText(status, text);
    status.className = `form-status ${kind}`;
  };
  payloadField.addEventListener("input", () => payloadField.setCustomValidity(""));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const task = {
      name: form.elements.name.value.trim(),
      queue: form.elements.queue.value.trim() || "default",
      priority: Number(form.elements.priority.value || 0),
      max_attempts: Number(form.elements.max_attempts.value || 3),
    };
    const payloadText = payloadField.value.trim();
    if (payloadText) {
      try {
        task.payload = JSON.parse(payloadText);
      } catch (error) {
        payloadField.setCustomValidity("not valid JSON");
        payloadField.reportValidity();
        report(`Payload is not valid JSON: ${error.message}`, "error");
        return;
      }
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const created = await submit(task);
      report(`Submitted ${created.name} (${created.id.slice(0, 8)}) to ${created.queue}.`, "ok");
    } catch (error) {
      report(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
}
