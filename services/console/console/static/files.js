/* Documents as files on a meeting's and a visit's page: the files the person may read (each
 * version and language, to download), and the upload of one (a meeting's circulated document,
 * a visit's needs assessment or consent letter) with its symbol, version and language. The
 * file goes as the request's body to POST …/files (the services' shared/uploads.py), through the
 * console, which reads it up to the file limit. Uses console.js's helpers. */
"use strict";

const LANGUAGES = [["en", "English"], ["fr", "French"], ["es", "Spanish"], ["ru", "Russian"], ["ar", "Arabic"], ["zh", "Chinese"]];
const VISIT_FILE_KINDS = [["needs_assessment", "needs assessment"], ["consent_letter", "the State's consent letter"]];

// The files of a record, for its page: null when the service does not answer (said in the section).
async function filesOf(service, path) {
  try {
    return await api(service, `${path}/files`);
  } catch (error) {
    return { error: error.message };
  }
}

function filesSection(service, files, committee, describe) {
  const download = (f) => el("a", { href: `/api/${service}${f.url}`, download: f.file_name || "",
    "data-testid": `download-${f.sha256.slice(0, 12)}` }, f.file_name || "download");
  return el("section", { "data-testid": "files" }, el("h2", {}, "Files"),
    files && files.error ? el("p", { class: "error" }, `The files cannot be shown now: ${files.error}`)
      : table(["document", "symbol", "version", "language", "kind", "size", "added", ""], (files || []).map((f) => [
        describe(f), f.full_symbol || "-", [f.version, f.superseded ? el("div", {}, badge("replaced by a revision", "late")) : ""],
        f.language_name || f.language, f.type || "-", f.size_in_words || "-", when(f.attached_at, committee), download(f)]),
      "No file yet."));
}

// The upload dialog: the fields of POST …/files, the file itself, and the refusal in words.
function uploadDialog({ service, post, title, first, committee }) {
  const dialog = document.getElementById("dialog");
  const opener = document.activeElement;
  const problem = el("div", { class: "error", hidden: true, role: "alert", "data-testid": "form-error" });
  const field = (id, text, input, help) => el("div", { class: "field" }, el("label", { for: id }, text), input,
    help ? el("p", { class: "muted", id: `${id}-help` }, help) : null);
  const file = el("input", { id: "u-file", name: "file", type: "file", required: true,
    accept: ".pdf,.docx,.txt,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/plain" });
  const form = el("form", { method: "dialog" }, el("h2", { id: "dialog-title" }, title),
    first,
    field("u-language", "Language", el("select", { id: "u-language", name: "language" },
      LANGUAGES.map(([v, text]) => el("option", { value: v }, text)))),
    field("u-version", "Version", el("input", { id: "u-version", name: "version", value: "original", "aria-describedby": "u-version-help" }),
      "original, Rev.1 (a revision replaces), Corr.1 (a corrigendum corrects), Rev.1/Corr.1"),
    field("u-symbol", "Symbol", el("input", { id: "u-symbol", name: "symbol", placeholder: "S/AC.44/2026/WP.3",
      "aria-describedby": "u-symbol-help" }), "The document's symbol, if it has one (optional)."),
    field("u-file", "File", file, "PDF, Word (.docx) or plain text."),
    problem,
    el("div", { class: "actions" }, el("button", { type: "submit" }, "Upload"),
      el("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    const params = new URLSearchParams({ file_name: chosen.name });
    for (const name of ["document_id", "document_kind", "language", "version", "symbol"]) {
      const input = form.querySelector(`[name=${name}]`);
      if (input && input.value.trim()) params.set(name, input.value.trim());
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(`/api/${service}${post}?${params}`, { method: "POST", body: chosen, credentials: "same-origin",
        headers: { "Content-Type": "application/octet-stream", "X-CSRF-Token": state.csrf || "", Accept: "application/json" } });
      const data = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, data);
      dialog.close();
      flash(`${chosen.name} added (${data.full_symbol || data.version}, ${data.language_name || data.language}).`);
      rerender();
    } catch (error) {
      (formRefusal(problem, form, error) || button).focus();
    } finally {
      button.disabled = false;
    }
  });
  showDialog(form, opener);
}

function uploadToMeeting(meeting) {
  const documents = meeting.documents.map((d) => [d.document_id, `${d.document_id}: ${d.title}${d.symbol ? ` (${d.symbol})` : ""}`]);
  uploadDialog({ service: "meetings", post: `/meetings/${meeting.id}/files`, title: `Add a file: ${meeting.title}`,
    committee: meeting.committee,
    first: el("div", { class: "field" }, el("label", { for: "u-document" }, "Document"),
      el("select", { id: "u-document", name: "document_id" }, documents.map(([v, text]) => el("option", { value: v }, text)))) });
}

function uploadToVisit(visit) {
  uploadDialog({ service: "visits", post: `/visits/${visit.id}/files`, title: `Add a file: ${visit.country}`,
    committee: visit.committee,
    first: el("div", { class: "field" }, el("label", { for: "u-kind" }, "What it is"),
      el("select", { id: "u-kind", name: "document_kind" }, VISIT_FILE_KINDS.map(([v, text]) => el("option", { value: v }, text)))) });
}
