// The /sparql page's editor: CodeMirror 6 with the SPARQL mode of @codemirror/legacy-modes, completion of
// the project's prefixes, the ontology's classes and properties and SPARQL keywords, and sorting of the
// results table. Built into one file by scripts/build-editor.sh (served from the site itself, no CDN).
// Without JavaScript the page keeps its plain textarea and submit button; this only enhances it.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { Prec } from "@codemirror/state";
import { StreamLanguage } from "@codemirror/language";
import { autocompletion } from "@codemirror/autocomplete";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";

const KEYWORDS = ["SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "BIND", "VALUES",
  "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "ASK", "CONSTRUCT", "DESCRIBE", "PREFIX", "BASE", "AS",
  "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", "SEPARATOR", "LANG", "LANGMATCHES", "STR",
  "STRSTARTS", "CONTAINS", "REGEX", "COALESCE", "EXISTS", "NOT EXISTS", "IF", "isIRI", "DESC", "ASC"];

function readTerms() {
  const node = document.getElementById("sparql-terms");
  if (!node) return { prefixes: {}, terms: [] };
  try { return JSON.parse(node.textContent); } catch (e) { return { prefixes: {}, terms: [] }; }
}

function completer(data) {
  const prefixOptions = Object.keys(data.prefixes).map((p) => ({ label: p + ":", type: "namespace", detail: data.prefixes[p] }));
  const termOptions = data.terms.map((t) => ({ label: t.name, type: t.kind === "class" ? "class" : "property", detail: t.label || "" }));
  const keywordOptions = KEYWORDS.map((k) => ({ label: k, type: "keyword" }));
  return (context) => {
    const word = context.matchBefore(/[A-Za-z_][\w.-]*:?[\w.-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const text = word.text;
    if (text.includes(":")) {
      const prefix = text.slice(0, text.indexOf(":") + 1);
      return { from: word.from, options: termOptions.filter((o) => o.label.startsWith(prefix)), validFor: /^[\w.-]*:?[\w.-]*$/ };
    }
    return { from: word.from, options: prefixOptions.concat(keywordOptions), validFor: /^[\w.-]*$/ };
  };
}

function enhanceEditor() {
  const box = document.getElementById("query");
  if (!box || !box.form) return;
  const label = document.querySelector('label[for="query"]');
  const view = new EditorView({
    doc: box.value,
    extensions: [
      basicSetup,
      StreamLanguage.define(sparql),
      autocompletion({ override: [completer(readTerms())] }),
      Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { box.form.requestSubmit(); return true; } }])),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": label ? label.textContent : "SPARQL", lang: "en" }),
      EditorView.updateListener.of((update) => { if (update.docChanged) box.value = update.state.doc.toString(); }),
    ],
  });
  box.hidden = true;
  box.after(view.dom);
  view.dom.classList.add("editor");
  if (label) label.addEventListener("click", () => view.focus());
  // "Edit" buttons of the examples put their query into the editor, not only into the hidden box
  document.querySelectorAll("button.edit").forEach((button) => {
    button.addEventListener("click", () => {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: button.getAttribute("data-query") } });
      view.focus();
    });
  });
}

// Sorting the results: a button in each column header; the table keeps its rows otherwise.
function enhanceTables() {
  document.querySelectorAll("table.sortable").forEach((table) => {
    const heads = table.querySelectorAll("thead th");
    heads.forEach((th, column) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach((other) => other.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const key = (row) => (row.cells[column] ? row.cells[column].getAttribute("data-sort") || row.cells[column].textContent : "");
        const collator = new Intl.Collator(document.documentElement.lang, { numeric: true, sensitivity: "base" });
        rows.sort((a, b) => (ascending ? 1 : -1) * collator.compare(key(a), key(b)));
        rows.forEach((row) => body.appendChild(row));
      });
    });
  });
}

enhanceEditor();
enhanceTables();
