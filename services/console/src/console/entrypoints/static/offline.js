// A border post without a link (pages/border_offline.py says what the server side does).
//
// What this keeps on the computer, in IndexedDB `puebla-offline`, and nothing else:
// - `meta/keys`: an RSA-OAEP key pair made when the officer chose a PIN. The public half is
//   kept as it is (so an online visit can update the copy without asking the PIN); the
//   private half only wrapped with AES-GCM under a key derived from the PIN (PBKDF2-SHA-256,
//   310,000 rounds). The PIN itself is never stored.
// - `meta/copy`: the buses due at the officer's post and their people, sealed for that pair.
// - `outbox`: each hand-over recorded without a link, in order: its own Idempotency-Key, the
//   time it was recorded at the post, its state, and the person's outcome sealed.
// Unlocked, the private key lives in this page's memory only; it is forgotten after
// inactivity (the screen locks) and everything is deleted when the officer signs out.
(function () {
  "use strict";
  var wordsNode = document.getElementById("offline-words");
  if (!wordsNode || !window.indexedDB || !window.crypto || !crypto.subtle) return;
  var shell = document.body.hasAttribute("data-offline-shell");
  var LANGUAGE = "puebla-lang"; // the language last used online: a code, nothing personal
  var BY_LANGUAGE = JSON.parse(wordsNode.textContent);
  var chosen = document.documentElement.lang;
  if (shell && BY_LANGUAGE[localStorage.getItem(LANGUAGE)]) chosen = localStorage.getItem(LANGUAGE);
  if (!shell) localStorage.setItem(LANGUAGE, chosen);
  var W = BY_LANGUAGE[chosen] || BY_LANGUAGE[Object.keys(BY_LANGUAGE)[0]];
  document.documentElement.lang = W.locale;
  if (shell) document.title = W.offline_title + " · Puebla";
  var LOCK_AFTER_MS = 5 * 60 * 1000;
  var RETRY_MS = 20000;
  var me = document.body.getAttribute("data-officer") || null;
  var csrf = null;
  var privateKey = null; // unlocked: in memory only
  var copy = null; // the opened copy
  var flushing = false;
  var sentNow = 0; // sent by the flush under way
  var keptZone = null; // the post's time zone (no secret): the outbox's times before unlocking
  var lastTry = null;
  var signInAddress = null;

  function t(key, values) {
    var text = W[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(values[name]);
    });
    return text;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function when(iso, zone) {
    if (!iso) return "—";
    var options = { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit",
      minute: "2-digit", hour12: false };
    if (zone) options.timeZone = zone;
    if (!zone && keptZone) options.timeZone = keptZone;
    // Day first in both languages, as the server's pages write dates.
    var locale = W.locale === "en" ? "en-GB" : W.locale;
    try { return new Intl.DateTimeFormat(locale, options).format(new Date(iso)); }
    catch (e) { return new Date(iso).toLocaleString(); }
  }

  // -- IndexedDB ---------------------------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open("puebla-offline", 1);
        open.onupgradeneeded = function () {
          open.result.createObjectStore("meta");
          open.result.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }
  function request(store, mode, act) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(store, mode);
        var r = act(tx.objectStore(store));
        tx.oncomplete = function () { resolve(r && r.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function get(store, key) { return request(store, "readonly", function (s) { return s.get(key); }); }
  function put(store, value, key) {
    return request(store, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
  }
  function remove(store, key) { return request(store, "readwrite", function (s) { return s.delete(key); }); }
  function all(store) { return request(store, "readonly", function (s) { return s.getAll(); }); }

  // -- crypto ------------------------------------------------------------------------------
  var enc = new TextEncoder();
  var dec = new TextDecoder();
  function pinKey(pin, salt) {
    return crypto.subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"])
      .then(function (base) {
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", salt: salt, iterations: 310000, hash: "SHA-256" }, base,
          { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
      });
  }
  function setUp(pin, officer) {
    var salt = crypto.getRandomValues(new Uint8Array(16));
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return crypto.subtle.generateKey(
      { name: "RSA-OAEP", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true, ["wrapKey", "unwrapKey"]
    ).then(function (pair) {
      return pinKey(pin, salt).then(function (kek) {
        return crypto.subtle.wrapKey("pkcs8", pair.privateKey, kek, { name: "AES-GCM", iv: iv });
      }).then(function (wrapped) {
        return put("meta", { officer: officer, salt: salt, iv: iv, wrapped: wrapped, public: pair.publicKey }, "keys");
      }).then(function () { return unlock(pin); });
    });
  }
  function unlock(pin) {
    return get("meta", "keys").then(function (keys) {
      return pinKey(pin, keys.salt).then(function (kek) {
        return crypto.subtle.unwrapKey("pkcs8", keys.wrapped, kek, { name: "AES-GCM", iv: keys.iv },
          { name: "RSA-OAEP", hash: "SHA-256" }, false, ["unwrapKey"]);
      });
    }).then(function (key) { privateKey = key; touch(); return key; });
  }
  function seal(value) {
    return get("meta", "keys").then(function (keys) {
      var iv = crypto.getRandomValues(new Uint8Array(12));
      return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]).then(function (k) {
        return Promise.all([
          crypto.subtle.wrapKey("raw", k, keys.public, { name: "RSA-OAEP" }),
          crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, enc.encode(JSON.stringify(value)))
        ]);
      }).then(function (parts) { return { key: parts[0], iv: iv, data: parts[1] }; });
    });
  }
  function unseal(sealed) {
    return crypto.subtle.unwrapKey("raw", sealed.key, privateKey, { name: "RSA-OAEP" },
      { name: "AES-GCM" }, false, ["decrypt"]
    ).then(function (k) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, k, sealed.data);
    }).then(function (plain) { return JSON.parse(dec.decode(plain)); });
  }
  function newKey() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // -- the screen lock ---------------------------------------------------------------------
  var lockTimer = null;
  function touch() {
    if (lockTimer) clearTimeout(lockTimer);
    if (privateKey) lockTimer = setTimeout(lock, LOCK_AFTER_MS);
  }
  function lock() {
    privateKey = null;
    copy = null;
    if (shell) drawShell();
    drawOutbox();
  }
  ["click", "keydown"].forEach(function (kind) { document.addEventListener(kind, touch, true); });

  // -- the copy, online --------------------------------------------------------------------
  function keepCopy(status) {
    status.textContent = t("copy_saving");
    return fetch("/offline/data", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (body) {
        return seal(body).then(function (sealed) {
          return put("meta", { sealed: sealed, saved_at: body.saved_at, buses: body.buses.length, zone: body.time_zone }, "copy");
        }).then(function () {
          return all("outbox").then(function (entries) {
            return Promise.all(entries.filter(function (e) { return e.state === "sent"; }).map(function (e) {
              return remove("outbox", e.seq);
            }));
          });
        }).then(function () {
          copy = null; // the next drawing opens the new copy
          return navigator.serviceWorker ? navigator.serviceWorker.register("/sw.js").then(function () {
            return navigator.serviceWorker.ready;
          }) : null;
        }).then(function () {
          status.textContent = t("copy_kept", { buses: body.buses.length, when: when(body.saved_at, body.time_zone) });
          status.setAttribute("data-kept", body.saved_at);
        });
      })
      .catch(function (e) { status.textContent = t("copy_failed", { why: e.message }); });
  }

  function drawPanel() {
    var panel = document.getElementById("offline-panel");
    if (!panel) return;
    get("meta", "keys").then(function (keys) {
      panel.textContent = "";
      panel.appendChild(el("h2", { text: t("pin_setup_title") }));
      if (keys && keys.officer !== me) {
        panel.appendChild(el("p", { class: "notice", text: t("other_officer", { officer: keys.officer }) }));
        return;
      }
      var status = el("p", { id: "offline-copy", role: "status" });
      if (keys) {
        panel.appendChild(status);
        keepCopy(status);
        return;
      }
      panel.appendChild(el("p", { text: t("pin_setup_lead") }));
      var error = el("p", { class: "field-error", id: "pin-error", hidden: "" });
      var first = el("input", { id: "pin-new", type: "password", inputmode: "numeric", autocomplete: "off", "aria-describedby": "pin-error" });
      var again = el("input", { id: "pin-again", type: "password", inputmode: "numeric", autocomplete: "off" });
      var form = el("form", { class: "pin-form", novalidate: "" }, [
        el("div", { class: "field" }, [el("label", { for: "pin-new", text: t("pin_choose") }), error, first]),
        el("div", { class: "field" }, [el("label", { for: "pin-again", text: t("pin_repeat") }), again]),
        el("button", { type: "submit", text: t("pin_keep") })
      ]);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var problem = !/^[0-9]{6,12}$/.test(first.value) ? t("pin_rule")
          : first.value !== again.value ? t("pin_mismatch") : null;
        error.hidden = !problem;
        error.textContent = problem ? "⚠ " + problem : "";
        if (problem) { first.setAttribute("aria-invalid", "true"); first.focus(); return; }
        var pin = first.value;
        first.value = again.value = "";
        setUp(pin, me).then(function () {
          form.remove();
          panel.appendChild(status);
          return keepCopy(status);
        });
      });
      panel.appendChild(form);
    });
  }

  // -- the outbox --------------------------------------------------------------------------
  function pending() {
    return all("outbox").then(function (entries) {
      return entries.filter(function (e) { return e.state !== "aside" && e.state !== "sent"; });
    });
  }

  function drawOutbox() {
    var box = document.getElementById("outbox");
    if (!box) return Promise.resolve();
    return Promise.all([all("outbox"), get("meta", "keys"), get("meta", "copy")]).then(function (found) {
      if (found[2]) keptZone = found[2].zone || null;
      var entries = found[0].filter(function (e) { return e.state !== "aside" && e.state !== "sent"; });
      var keys = found[1];
      box.textContent = "";
      box.hidden = entries.length === 0;
      if (!entries.length) return;
      var waiting = entries.filter(function (e) { return e.state === "waiting"; });
      box.appendChild(el("h2", { id: "outbox-count", text: !waiting.length ? t("decide_title")
        : waiting.length === 1 ? t("waiting_one") : t("waiting_many", { count: waiting.length }) }));
      if (keys && me && keys.officer !== me) {
        box.appendChild(el("p", { class: "notice", text: t("other_officer", { officer: keys.officer }) }));
      } else if (signInAddress) {
        box.appendChild(el("p", { class: "warning-box", role: "alert" }, [
          document.createTextNode(t("sign_in_again") + " "),
          el("a", { href: signInAddress, class: "button", text: t("sign_in") })
        ]));
      } else if (waiting.length && !privateKey && !shell) {
        box.appendChild(pinForm("outbox-pin", t("pin_to_send"), function () { flush(); }));
      } else if (waiting.length && lastTry && !navigator.onLine) {
        box.appendChild(el("p", { class: "hint", text: t("state_waiting") }));
      } else if (waiting.length && lastTry) {
        box.appendChild(el("p", { class: "hint", text: t("last_try", { time: when(lastTry) }) }));
      }
      var list = el("ol", { class: "outbox-list" });
      box.appendChild(list);
      entries.forEach(function (entry) {
        var item = el("li", { class: "outbox-" + entry.state, "data-key": entry.key });
        list.appendChild(item);
        var line = el("span", { text: t("recorded_at_post", { time: when(entry.recorded_at, copy && copy.time_zone) }) + " — " +
          (entry.state === "waiting" ? t(flushing ? "state_sending" : "state_waiting") : t(entry.state === "conflict" ? "conflict_title" : "refused_title")) });
        item.appendChild(line);
        if (!privateKey) return;
        unseal(entry.sealed).then(function (what) {
          item.insertBefore(el("strong", { text: what.name + ": " + W.outcomes[what.outcome] + (what.reason ? " (" + W.reasons[what.reason] + ")" : "") + " " }), line);
          if (entry.state === "conflict" && entry.detail) {
            return unseal(entry.detail).then(function (held) {
              item.appendChild(el("p", { text: t("conflict_mine", { outcome: W.outcomes[what.outcome], time: when(entry.recorded_at) }) }));
              item.appendChild(el("p", { text: t("conflict_theirs", { outcome: W.outcomes[held.outcome] + (held.reason ? " (" + W.reasons[held.reason] + ")" : ""), officer: held.officer || "—", time: when(held.recorded_at) }) }));
              item.appendChild(aside(entry, t("conflict_keep")));
            });
          }
          if (entry.state === "refused" && entry.detail) {
            return unseal(entry.detail).then(function (sentences) {
              item.appendChild(el("p", { class: "field-error", text: "⚠ " + sentences.join(" ") }));
              item.appendChild(aside(entry, t("set_aside")));
            });
          }
        });
      });
    });
  }

  function aside(entry, label) {
    var button = el("button", { type: "button", class: "secondary", text: label });
    button.addEventListener("click", function () {
      // The officer's explicit choice: kept (as set aside) until they sign out, never sent.
      entry.state = "aside";
      put("outbox", entry).then(function () { drawOutbox(); if (shell) drawShell(); });
    });
    return button;
  }

  function pinForm(id, label, then) {
    var error = el("p", { class: "field-error", id: id + "-error", hidden: "" });
    var input = el("input", { id: id, type: "password", inputmode: "numeric", autocomplete: "off", "aria-describedby": id + "-error" });
    var form = el("form", { class: "pin-form", novalidate: "" }, [
      el("div", { class: "field" }, [el("label", { for: id, text: label }), error, input]),
      el("button", { type: "submit", text: t("pin_open") })
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var pin = input.value;
      input.value = "";
      unlock(pin).then(function () { then(); }, function () {
        error.hidden = false;
        error.textContent = "⚠ " + t("pin_wrong");
        input.setAttribute("aria-invalid", "true");
        input.focus();
      });
    });
    return form;
  }

  function token() {
    if (csrf) return Promise.resolve(csrf);
    var headers = document.body.getAttribute("hx-headers");
    if (headers) {
      csrf = JSON.parse(headers)["X-CSRF-Token"];
      return Promise.resolve(csrf);
    }
    return fetch("/offline/token", { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { signedOut(); throw new Error("signed_out"); }
      if (!r.ok) throw new Error(String(r.status));
      return r.json().then(function (body) {
        me = body.officer; // who the session is: the shell page itself names nobody
        csrf = body.csrf;
        return csrf;
      });
    });
  }

  function signedOut() {
    // Back to this very page after signing in, where the outbox is sent.
    signInAddress = "/auth/login?next=" + encodeURIComponent(location.pathname);
    csrf = null;
  }

  // Sends the waiting entries one by one, oldest first, until one gets no definitive answer.
  function flush() {
    if (flushing || !navigator.onLine || !privateKey) return drawOutbox();
    flushing = true;
    sentNow = 0;
    return Promise.all([pending(), get("meta", "keys")]).then(function (found) {
      var waiting = found[0].filter(function (e) { return e.state === "waiting"; });
      var keys = found[1];
      if (!waiting.length) return;
      return token().then(function () {
        // Only the officer whose copy it is sends it, under their own session.
        if (!keys || keys.officer !== me) return;
        return waiting.reduce(function (chain, entry) {
          return chain.then(function (go) { return go === false ? false : send(entry); });
        }, Promise.resolve(true));
      });
    }).catch(function () { return false; }).then(function () {
      flushing = false;
      lastTry = new Date().toISOString();
      if (sentNow && !shell && window.htmx) {
        // The page shows what the server holds now: drawn again without a reload (which would
        // lock the outbox), then the copy is kept again by the panel.
        return window.htmx.ajax("GET", location.pathname + location.search,
          { target: "#main", select: "#main", swap: "outerHTML" }).then(function () {
          drawPanel();
          return drawOutbox();
        });
      }
      var status = document.getElementById("offline-copy") || el("p");
      var refreshed = navigator.onLine ? get("meta", "keys").then(function (k) { return k ? keepCopy(status) : null; }) : Promise.resolve();
      return refreshed.then(drawOutbox).then(function () { if (shell) drawShell(); });
    });
  }

  function send(entry) {
    return unseal(entry.sealed).then(function (what) {
      return fetch("/offline/handovers", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ key: entry.key, manifest_id: entry.manifest_id, returnee_id: what.returnee_id,
          outcome: what.outcome, reason: what.reason, recorded_at: entry.recorded_at })
      }).then(function (r) {
        if (r.status === 401) { signedOut(); return false; }
        if (r.status === 403) { csrf = null; return false; }
        if (r.status >= 500) return false;
        return r.json().then(function (b) {
          if (b.status === "recorded") {
            // Kept as sent until the next copy from the server holds it (see keepCopy).
            entry.state = "sent";
            sentNow += 1;
            return put("outbox", entry).then(function () { return true; });
          }
          entry.state = b.status === "conflict" ? "conflict" : "refused";
          return seal(b.status === "conflict" ? b.recorded : b.sentences).then(function (detail) {
            entry.detail = detail;
            return put("outbox", entry);
          }).then(function () { return true; });
        });
      }, function () { return false; });
    });
  }

  function record(bus, person, outcome, reason) {
    var recordedAt = new Date().toISOString();
    return seal({ returnee_id: person.id, outcome: outcome, reason: reason || null,
      name: person.given_names + " " + person.surnames }).then(function (sealed) {
      return put("outbox", { key: newKey(), manifest_id: bus.id, recorded_at: recordedAt,
        state: "waiting", sealed: sealed });
    });
  }

  // -- the shell: arrivals and a hand-over, drawn from the opened copy -----------------------
  function overlay() {
    // What the outbox holds counts as recorded here (marked "to be sent").
    return all("outbox").then(function (entries) {
      return Promise.all(entries.filter(function (e) { return e.state === "waiting" || e.state === "sent"; }).map(function (e) {
        return unseal(e.sealed).then(function (what) { return { entry: e, what: what }; });
      }));
    });
  }

  function drawShell() {
    var main = document.getElementById("offline-app");
    var status = document.getElementById("offline-status");
    if (!main) return;
    status.textContent = navigator.onLine ? t("online_again") : "";
    Promise.all([get("meta", "keys"), get("meta", "copy")]).then(function (found) {
      var keys = found[0], kept = found[1];
      main.textContent = "";
      if (!keys || !kept) { main.appendChild(el("p", { class: "notice", text: t("no_copy") })); return; }
      if (!navigator.onLine) status.textContent = t("offline_lead", { when: when(kept.saved_at, kept.zone) });
      if (!privateKey) {
        main.appendChild(el("p", { text: t("copy_of", { officer: keys.officer }) }));
        main.appendChild(pinForm("pin", t("pin_label"), function () { drawShell(); drawOutbox(); flush(); }));
        var input = document.getElementById("pin");
        if (input) input.focus();
        return;
      }
      return unseal(kept.sealed).then(function (opened) {
        copy = opened;
        if (!me) me = opened.officer;
        return overlay();
      }).then(function (queued) {
        var lockButton = el("button", { type: "button", class: "secondary", id: "lock-now", text: t("lock_now") });
        lockButton.addEventListener("click", lock);
        main.appendChild(el("div", { class: "actions" }, [lockButton]));
        var match = location.pathname.match(/^\/manifests\/([0-9a-f-]{36})/);
        var bus = match && copy.buses.filter(function (b) { return b.id === match[1]; })[0];
        if (bus) drawHandover(main, bus, queued); else drawArrivals(main, queued);
      });
    });
  }

  function go(path) {
    history.pushState({}, "", path);
    drawShell();
  }

  function drawArrivals(main, queued) {
    document.title = t("arrivals") + " · Puebla";
    main.appendChild(el("h1", { text: t("arrivals") + " — " + copy.post_name }));
    main.appendChild(el("p", { class: "hint", text: t("times_in", { zone: copy.time_zone_name || copy.time_zone || "UTC" }) }));
    if (!copy.buses.length) { main.appendChild(el("p", { text: t("no_arrivals") })); return; }
    var list = el("ul", { class: "offline-buses" });
    copy.buses.forEach(function (bus) {
      var done = Object.keys(bus.entries).length + queued.filter(function (q) { return q.entry.manifest_id === bus.id; }).length;
      var link = el("a", { href: "/manifests/" + bus.id + "/handover", text: t("bus", { plate: bus.plate }) + " — " + bus.sending_country + ", " + when(bus.scheduled_arrival, copy.time_zone) });
      link.addEventListener("click", function (event) { event.preventDefault(); go(link.getAttribute("href")); });
      list.appendChild(el("li", {}, [link, el("span", { class: "count", text: " (" + t("people_count", { recorded: done, total: bus.people.length }) + ")" })]));
    });
    main.appendChild(list);
  }

  function drawHandover(main, bus, queued) {
    document.title = t("handover_of", { plate: bus.plate }) + " · Puebla";
    var back = el("a", { href: "/arrivals", text: t("arrivals") });
    back.addEventListener("click", function (event) { event.preventDefault(); go("/arrivals"); });
    main.appendChild(el("p", { class: "crumbs" }, [back]));
    main.appendChild(el("h1", { text: t("handover_of", { plate: bus.plate }) }));
    main.appendChild(el("p", { class: "hint", text: bus.reference + " — " + bus.sending_country + ", " + when(bus.scheduled_arrival, copy.time_zone) }));
    var mine = {};
    queued.forEach(function (q) { if (q.entry.manifest_id === bus.id) mine[q.what.returnee_id] = q; });
    var open = bus.people.filter(function (p) { return !bus.entries[p.id] && !mine[p.id]; });
    if (open.length) {
      var rest = el("button", { type: "button", class: "secondary", id: "all-others", text: t("all_others") });
      rest.addEventListener("click", function () {
        open.reduce(function (c, p) { return c.then(function () { return record(bus, p, "received"); }); }, Promise.resolve())
          .then(function () { drawShell(); drawOutbox(); });
      });
      main.appendChild(el("div", { class: "actions" }, [rest]));
    }
    var list = el("ul", { class: "people offline-people" });
    main.appendChild(list);
    var families = {};
    bus.people.forEach(function (p) { if (p.family_group) families[p.family_group] = (families[p.family_group] || 0) + 1; });
    var lastFamily = null;
    bus.people.forEach(function (person) {
      var family = families[person.family_group] > 1 ? person.family_group : null;
      if (family && family !== lastFamily) {
        list.appendChild(el("li", { class: "unit-label", text: t("family_of", { num: families[family] }) }));
      }
      lastFamily = family;
      var row = el("li", { class: "person" + (family ? " in-family" : ""), id: "person-" + person.id });
      var name = el("strong", { text: person.given_names + " " + person.surnames });
      var facts = [person.age !== null ? String(person.age) : null].concat(person.tags.map(function (tag) { return W.tags[tag] || tag; })).filter(Boolean);
      row.appendChild(el("p", {}, [name, document.createTextNode(facts.length ? " — " + facts.join(", ") : "")]));
      var held = bus.entries[person.id];
      var queuedOne = mine[person.id];
      if (held || queuedOne) {
        var outcome = held ? held.outcome : queuedOne.what.outcome;
        var reason = held ? held.reason : queuedOne.what.reason;
        row.appendChild(el("p", { class: "outcome", text: W.outcomes[outcome] + (reason ? " (" + W.reasons[reason] + ")" : "") +
          (queuedOne ? " — " + t(queuedOne.entry.state === "sent" ? "state_sent" : "pending_here") + ", " + t("recorded_at_post", { time: when(queuedOne.entry.recorded_at, copy.time_zone) }) : "") }));
      } else {
        var buttons = el("div", { class: "tap-row" });
        ["received", "not_presented"].forEach(function (o) {
          var b = el("button", { type: "button", text: W.outcomes[o], "aria-label": W.outcomes[o] + ": " + person.given_names + " " + person.surnames });
          b.addEventListener("click", function () { record(bus, person, o).then(function () { drawShell(); drawOutbox(); }); });
          buttons.appendChild(b);
        });
        var select = el("select", { id: "reason-" + person.id, "aria-label": t("reason") + ": " + person.given_names + " " + person.surnames });
        select.appendChild(el("option", { value: "", text: t("reason") }));
        Object.keys(W.reasons).forEach(function (r) { select.appendChild(el("option", { value: r, text: W.reasons[r] })); });
        var refuse = el("button", { type: "button", class: "danger", text: t("record_refusal"), "aria-label": t("record_refusal") + ": " + person.given_names + " " + person.surnames });
        var error = el("p", { class: "field-error", hidden: "" });
        refuse.addEventListener("click", function () {
          if (!select.value) { error.hidden = false; error.textContent = "⚠ " + t("choose_reason"); select.focus(); return; }
          record(bus, person, "refused", select.value).then(function () { drawShell(); drawOutbox(); });
        });
        buttons.appendChild(select);
        buttons.appendChild(refuse);
        row.appendChild(buttons);
        row.appendChild(error);
      }
      list.appendChild(row);
    });
  }

  // -- signing out deletes it all (the server's Clear-Site-Data does too) --------------------
  var logout = document.querySelector("form.logout");
  if (logout) {
    logout.addEventListener("submit", function (event) {
      if (logout.hasAttribute("data-confirmed")) return;
      event.preventDefault();
      pending().then(function (entries) {
        if (entries.length && !window.confirm(t("logout_pending", { count: entries.length }))) return;
        logout.setAttribute("data-confirmed", "");
        privateKey = null;
        var deleting = db().then(function (d) { d.close(); dbPromise = null; }).then(function () {
          return new Promise(function (resolve) {
            var r = indexedDB.deleteDatabase("puebla-offline");
            r.onsuccess = r.onerror = r.onblocked = function () { resolve(); };
          });
        });
        deleting.then(function () { logout.submit(); });
      });
    });
  }

  window.addEventListener("online", function () { if (shell) drawShell(); flush(); });
  window.addEventListener("offline", function () { if (shell) drawShell(); drawOutbox(); });
  setInterval(function () { if (navigator.onLine) flush(); }, RETRY_MS);
  window.addEventListener("popstate", function () { if (shell) drawShell(); });

  if (shell) drawShell(); else drawPanel();
  drawOutbox().then(function () { if (navigator.onLine && !shell) flush(); });
})();
