// The API reference, drawn from the server's own /openapi.json, with nothing loaded from elsewhere.
"use strict";

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function schemaText(schema) {
  return schema ? JSON.stringify(schema, null, 2) : "";
}

async function draw() {
  const spec = await (await fetch("openapi.json")).json();
  const main = document.getElementById("docs");
  document.getElementById("docs-intro").textContent = `${spec.info.title} ${spec.info.version}. ${spec.info.description || ""}`;
  const byTag = {};
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const tag = (operation.tags || ["other"])[0];
      (byTag[tag] = byTag[tag] || []).push([method, path, operation]);
    }
  }
  for (const [tag, operations] of Object.entries(byTag)) {
    main.append(el("h2", tag));
    for (const [method, path, operation] of operations) {
      const box = el("section", undefined, "operation");
      box.append(el("h3", `${method.toUpperCase()} ${path}`));
      if (operation.summary) box.append(el("p", operation.summary));
      const parameters = (operation.parameters || []).map((p) => `${p.name} (${p.in}${p.required ? ", required" : ""}): ${schemaText(p.schema).replace(/\s+/g, " ")}`);
      if (parameters.length) {
        const list = el("ul");
        for (const line of parameters) list.append(el("li", line));
        box.append(el("p", "Parameters"), list);
      }
      const body = operation.requestBody && operation.requestBody.content;
      for (const [type, content] of Object.entries(body || {})) {
        box.append(el("p", `Body: ${type}`), el("pre", schemaText(content.schema)));
      }
      box.append(el("p", `Answers: ${Object.keys(operation.responses || {}).join(", ")}; errors are application/problem+json.`, "meta"));
      main.append(box);
    }
  }
}

draw().catch((error) => { document.getElementById("docs-intro").textContent = error.message; });
