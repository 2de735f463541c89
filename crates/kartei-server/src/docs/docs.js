// Renders the OpenAPI document of this server; no external code, works offline.
"use strict";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function typeOf(schema) {
  if (!schema) return "";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return el("a", { href: "#schema-" + name }, name);
  }
  if (schema.type === "array") return el("span", {}, "array of ", typeOf(schema.items));
  const kinds = [].concat(schema.type || []).filter((t) => t !== "null");
  const parts = (schema.oneOf || schema.anyOf || schema.allOf || []).map(typeOf);
  if (parts.length) {
    const span = el("span");
    parts.forEach((p, i) => { if (i) span.append(" | "); span.append(p); });
    return span;
  }
  return kinds.join(" | ") + (schema.format ? " (" + schema.format + ")" : "") + (schema.enum ? ": " + schema.enum.join(", ") : "");
}

function paramsTable(params) {
  const t = el("table", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")));
  for (const p of params) t.append(el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, typeOf(p.schema)), el("td", {}, p.description || "")));
  return t;
}

function render(doc) {
  document.getElementById("intro").textContent = (doc.info.description || "") + " Version " + doc.info.version + ".";
  const toc = document.getElementById("toc");
  const ops = document.getElementById("ops");
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push({ path, method, op });
    }
  }
  for (const [tag, list] of byTag) {
    toc.append(el("h2", {}, tag));
    ops.append(el("h2", { id: "tag-" + tag }, tag));
    for (const { path, method, op } of list) {
      const id = op.operationId + "-" + tag;
      toc.append(el("a", { href: "#" + id }, method.toUpperCase() + " " + path.replace("/api/v1", "")));
      const box = el("section", { class: "op", id }, el("span", { class: "method " + method }, method), el("code", {}, path));
      if (op.description || op.summary) box.append(el("p", {}, op.description || op.summary));
      if (op.parameters && op.parameters.length) box.append(paramsTable(op.parameters));
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (body) box.append(el("p", {}, "Body: ", typeOf(body.schema)));
      const responses = el("table", {}, el("tr", {}, el("th", {}, "status"), el("th", {}, "body")));
      for (const [status, r] of Object.entries(op.responses || {})) {
        const content = r.content && Object.values(r.content)[0];
        responses.append(el("tr", {}, el("td", {}, status), el("td", {}, content ? typeOf(content.schema) : r.description || "")));
      }
      box.append(responses);
      ops.append(box);
    }
  }
  const schemas = document.getElementById("schemas");
  schemas.append(el("h2", {}, "Schemas"));
  for (const [name, schema] of Object.entries((doc.components || {}).schemas || {})) {
    const box = el("section", { class: "op", id: "schema-" + name }, el("h3", {}, name));
    if (schema.description) box.append(el("p", {}, schema.description));
    const props = schema.properties || {};
    if (Object.keys(props).length) {
      const t = el("table", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "description")));
      for (const [p, s] of Object.entries(props)) t.append(el("tr", {}, el("td", {}, el("code", {}, p)), el("td", {}, typeOf(s)), el("td", {}, s.description || "")));
      box.append(t);
    } else {
      box.append(el("pre", {}, JSON.stringify(schema, null, 2)));
    }
    schemas.append(box);
  }
}

fetch("/api/openapi.json").then((r) => r.json()).then(render).catch((e) => {
  document.getElementById("intro").textContent = "Could not load the API description: " + e;
});
