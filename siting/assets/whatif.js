/* What-if in the map (siting.map_whatif): the planner opens a candidate, closes a proposed or an
 * existing site, or gives a site another type, and the figures update in the page. The sums are
 * those of siting.whatif.evaluate_state, on the same data: older people covered (a class of homes
 * is covered when one of its options is open), coverage of the district and of each 社区/村, the
 * newly covered against today, money by line (a base plus each open option's coefficient), and
 * the units each rule leaves unserved. Names arrive HTML-escaped and are shown as text.
 * (c) the siting authors; part of the siting package. */
(function () {
  "use strict";

  function decode(b64) {  // base64 of zlib-compressed JSON
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).json();
  }

  var inert = new DOMParser();
  function text(escaped) {  // the plain text of an HTML-escaped name
    return inert.parseFromString(escaped, "text/html").documentElement.textContent;
  }

  function Engine(data) {
    this.data = data;
    var o = data.options;
    this.K = o.site_id.length;
    this.status = o.status;
    this.plan = new Uint8Array(this.K);
    this.today = new Uint8Array(this.K);
    for (var k = 0; k < this.K; k++) {
      this.plan[k] = (o.status[k] === "existing" || o.status[k] === "proposed") ? 1 : 0;
      this.today[k] = o.status[k] === "existing" ? 1 : 0;
    }
    this.state = this.plan.slice();
    this.nCom = data.communities.code.length;
    this.byGroup = {};
    for (k = 0; k < this.K; k++) {
      (this.byGroup[o.group[k]] = this.byGroup[o.group[k]] || []).push(k);
    }
    this.coveredToday = this.covered(this.today).total;
  }

  Engine.prototype.covered = function (state) {
    var c = this.data.classes, n = c.elderly.length, total = 0, byCom = new Float64Array(this.nCom);
    for (var i = 0; i < n; i++) {
      var hit = false;
      for (var j = c.indptr[i]; j < c.indptr[i + 1]; j++) {
        if (state[c.indices[j]]) { hit = true; break; }
      }
      if (hit) {
        total += c.elderly[i];
        if (c.community[i] >= 0) byCom[c.community[i]] += c.elderly[i];
      }
    }
    return {total: total, byCom: byCom};
  };

  Engine.prototype.figures = function (state) {
    state = state || this.state;
    var c = this.data.classes, el = 0, elCom = new Float64Array(this.nCom), i;
    for (i = 0; i < c.elderly.length; i++) {
      el += c.elderly[i];
      if (c.community[i] >= 0) elCom[c.community[i]] += c.elderly[i];
    }
    var cov = this.covered(state), pct = [];
    for (i = 0; i < this.nCom; i++) pct.push(elCom[i] > 0 ? 100 * cov.byCom[i] / elCom[i] : null);
    var m = this.data.money, money = {}, spent = 0;
    m.lines.forEach(function (line) {
      var v = m.base[line], coef = m.coef[line];
      for (var k = 0; k < coef.length; k++) if (state[k]) v += coef[k];
      money[line] = v; spent += v;
    });
    var gaps = {};
    this.data.units.forEach(function (u) {
      var served = false;
      for (var j = 0; j < u.options.length; j++) if (state[u.options[j]]) { served = true; break; }
      if (!served) (gaps[u.rule] = gaps[u.rule] || []).push(u.code);
    });
    return {
      elderly: el, covered: cov.total, coverage_pct: el > 0 ? 100 * cov.total / el : null,
      newly_covered: cov.total - this.coveredToday, community_coverage_pct: pct,
      money: money, spent: spent, gaps: gaps
    };
  };

  Engine.prototype.open = function (k) {  // open option k (the only one of its site)
    var g = this.byGroup[this.data.options.group[k]];
    for (var i = 0; i < g.length; i++) this.state[g[i]] = 0;
    this.state[k] = 1;
  };

  Engine.prototype.close = function (k) {  // close the site of option k
    var g = this.byGroup[this.data.options.group[k]];
    for (var i = 0; i < g.length; i++) this.state[g[i]] = 0;
  };

  Engine.prototype.reset = function () { this.state = this.plan.slice(); };

  Engine.prototype.edits = function () {  // the changes against the plan, one per site
    var o = this.data.options, out = [], seen = {};
    for (var k = 0; k < this.K; k++) {
      var g = o.group[k];
      if (seen[g]) continue;
      seen[g] = true;
      var members = this.byGroup[g], was = -1, now = -1;
      for (var i = 0; i < members.length; i++) {
        if (this.plan[members[i]]) was = members[i];
        if (this.state[members[i]]) now = members[i];
      }
      if (was === now) continue;
      if (now < 0) out.push({site_id: o.site_id[was], action: "close", type: ""});
      else out.push({site_id: o.site_id[now], action: "open", type: o.type[now]});
    }
    return out;
  };

  Engine.prototype.editsCsv = function () {
    var lines = ["site_id,action,type"];
    this.edits().forEach(function (e) {
      lines.push([e.site_id, e.action, e.type].map(function (v) {
        return /[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
      }).join(","));
    });
    return lines.join("\n") + "\n";
  };

  function fmt(v, digits) {
    return v === null || v === undefined ? "—" : v.toLocaleString("en-US", {
      minimumFractionDigits: digits, maximumFractionDigits: digits
    });
  }

  /* The panel and the clickable sites. opts: {map, data (base64), words, typeNames, typeColours,
   * lineNames, ruleNames, communityLayer and beforeLayer (optional: the plan's choropleth, which
 * the edits recolour and which replaces today's at the first edit), colour (pct -> fill),
 * fileName} */
  window.sitingWhatIf = function (opts) {
    var map = opts.map, w = opts.words;
    return decode(opts.data).then(function (data) {
      var eng = new Engine(data), o = data.options;
      var panel = L.DomUtil.create("div", "siting-whatif", map.getContainer());
      L.DomEvent.disableClickPropagation(panel);
      L.DomEvent.disableScrollPropagation(panel);
      var head = L.DomUtil.create("div", "siting-whatif-head", panel);
      head.textContent = w.title;
      var figs = L.DomUtil.create("div", "siting-whatif-figures", panel);
      var list = L.DomUtil.create("ol", "siting-whatif-edits", panel);
      var bar = L.DomUtil.create("div", "siting-whatif-buttons", panel);
      var reset = L.DomUtil.create("button", "", bar);
      reset.type = "button"; reset.textContent = w.reset;
      var save = L.DomUtil.create("button", "", bar);
      save.type = "button"; save.textContent = w.save;
      var group = L.layerGroup();
      var markers = {};

      function row(label, value) {
        var d = document.createElement("div");
        var a = document.createElement("span"); a.className = "k"; a.textContent = label;
        var b = document.createElement("span"); b.className = "v"; b.textContent = value;
        d.appendChild(a); d.appendChild(b);
        return d;
      }

      var edited = false;
      function showPlanLayer() {  // the first edit: the plan's choropleth is the one recoloured
        if (edited || !opts.communityLayer) return;
        edited = true;
        if (!map.hasLayer(opts.communityLayer)) opts.communityLayer.addTo(map);
        if (opts.beforeLayer && map.hasLayer(opts.beforeLayer)) map.removeLayer(opts.beforeLayer);
      }

      function draw(changed) {
        var t0 = performance.now();
        if (changed) showPlanLayer();
        var f = eng.figures();
        figs.textContent = "";
        figs.appendChild(row(w.coverage, fmt(f.coverage_pct, 1) + "%"));
        figs.appendChild(row(w.newly, fmt(f.newly_covered, 0)));
        figs.appendChild(row(w.spent, fmt(f.spent, 1)));
        data.money.lines.forEach(function (ln) {
          if (Math.abs(f.money[ln]) > 1e-9) figs.appendChild(row("· " + opts.lineNames[ln], fmt(f.money[ln], 1)));
        });
        Object.keys(opts.ruleNames).forEach(function (r) {
          figs.appendChild(row(opts.ruleNames[r], fmt((f.gaps[r] || []).length, 0)));
        });
        list.textContent = "";
        eng.edits().forEach(function (e) {
          var li = document.createElement("li");
          var k = o.site_id.indexOf(e.site_id);
          li.textContent = (e.action === "open" ? w.opened : w.closed) + " " + text(o.name[k]) +
            (e.action === "open" ? "（" + opts.typeNames[e.type] + "）" : "");
          list.appendChild(li);
        });
        if (opts.communityLayer) {
          opts.communityLayer.eachLayer(function (l) {
            var id = l.feature && l.feature.id;
            if (id !== undefined && id !== null) l.setStyle({fillColor: opts.colour(f.community_coverage_pct[+id])});
          });
        }
        Object.keys(markers).forEach(function (g) { style(+g); });
        eng.lastMs = performance.now() - t0;
        eng.lastFigures = f;
        return f;
      }

      function openOf(g) {
        var m = eng.byGroup[g];
        for (var i = 0; i < m.length; i++) if (eng.state[m[i]]) return m[i];
        return -1;
      }

      function style(g) {
        var k = openOf(g), first = eng.byGroup[g][0];
        var colour = opts.typeColours[o.type[k >= 0 ? k : first]] || "#555555";
        markers[g].setStyle(k >= 0 ? {color: "#222222", weight: 1, fillColor: colour, fillOpacity: 0.95}
                                   : {color: colour, weight: 2, fillColor: "#ffffff", fillOpacity: 0.6});
      }

      function popup(g) {
        var div = document.createElement("div");
        var members = eng.byGroup[g], k = openOf(g), first = members[0];
        var title = document.createElement("b");
        title.textContent = text(o.name[first]);
        div.appendChild(title);
        var st = document.createElement("div");
        st.textContent = w["status_" + o.status[first]] + (k >= 0 ? " · " + w.open_now + opts.typeNames[o.type[k]] : " · " + w.closed_now);
        div.appendChild(st);
        function button(label, fn) {
          var b = document.createElement("button");
          b.type = "button"; b.textContent = label; b.style.margin = "4px 4px 0 0";
          b.addEventListener("click", function () { fn(); map.closePopup(); draw(true); });
          div.appendChild(b);
        }
        if (k >= 0) button(w.close, function () { eng.close(k); });
        members.forEach(function (m) {
          if (m !== k && (o.allowed[m] || o.status[m] === "existing")) {
            button(w.open_as + opts.typeNames[o.type[m]], function () { eng.open(m); });
          }
        });
        return div;
      }

      Object.keys(eng.byGroup).forEach(function (g) {
        var k = eng.byGroup[g][0];
        if (o.lat[k] === null || isNaN(o.lat[k])) return;
        var mk = L.circleMarker([o.lat[k], o.lon[k]], {radius: 6, pane: "markerPane"});
        mk.bindPopup(function () { return popup(+g); });
        mk.bindTooltip(o.name[k], {sticky: true});  // escaped HTML: Leaflet sets innerHTML
        markers[g] = mk.addTo(group);
      });
      group.addTo(map);

      reset.addEventListener("click", function () { eng.reset(); draw(true); });
      save.addEventListener("click", function () {
        var blob = new Blob(["\ufeff" + eng.editsCsv()], {type: "text/csv;charset=utf-8"});
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob); a.download = opts.fileName;
        document.body.appendChild(a); a.click(); a.remove();
      });
      draw();
      var api = {
        engine: eng, layer: group, draw: draw,
        figures: function () { return eng.figures(); },
        toggle: function (siteId, type) {  // as a click on the site and one of its buttons
          var ks = [];
          for (var k = 0; k < eng.K; k++) if (o.site_id[k] === siteId) ks.push(k);
          if (!ks.length) throw new Error("unknown site " + siteId);
          var g = o.group[ks[0]], now = openOf(g);
          if (type === undefined && now >= 0) eng.close(now);
          else {
            var pick = ks.filter(function (k) { return !type || o.type[k] === type; })[0];
            eng.open(pick);
          }
          return draw(true);
        },
        reset: function () { eng.reset(); return draw(true); },
        editsCsv: function () { return eng.editsCsv(); }
      };
      map.sitingWhatIf = api;
      return api;
    });
  };
})();
