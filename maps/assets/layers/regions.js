  // ------------------------------------------------------------------ regions
  /** Strikes per admin-1 region, counted from the events shown now; tooltips carry escaped names. */
  SDB.choropleth = function (ctx, geojson, breaks, opts) {
    var colors = ctx.style.choroplethColors,
      layer;
    var counts = null;
    layer = L.geoJSON(geojson, {
      pane: "sdbRegions",
      style: function (feature) {
        return regionStyle(feature.properties.n);
      },
      onEachFeature: function (feature, l) {
        // Content made when the tooltip opens, from the counts of that moment.
        l.bindTooltip(
          function () {
            return tooltip(feature, counts ? counts[feature.properties.i] || 0 : feature.properties.n);
          },
          { sticky: true }
        );
      },
    });
    function regionStyle(n) {
      return {
        fillColor: n ? colors[Math.min(classOf(n, layer ? layer.sdbBreaks : breaks), colors.length - 1)] : ctx.style.choroplethEmpty,
        fillOpacity: n ? 0.55 : 0.15,
        color: "#777",
        weight: 0.8,
      };
    }
    function tooltip(feature, n) {
      var p = feature.properties;
      return SDB.esc(p.name || "region") + (p.cc ? " (" + SDB.esc(p.cc) + ")" : "") + ": " + SDB.esc(n) + " strikes shown";
    }
    layer.sdbBreaks = breaks;
    layer.sdbUpdate = function (ctx) {
      var ix = ctx.index;
      if (!ix) return;
      counts = new Int32Array(geojson.features.length ? 1 + geojson.features.reduce(function (m, f) {
        return Math.max(m, f.properties.i);
      }, 0) : 0);
      for (var i = 0; i < ix.n; i++) if (ix.mask[i] && ix.region[i] >= 0) counts[ix.region[i]]++;
      var max = 0;
      for (var k = 0; k < counts.length; k++) if (counts[k] > max) max = counts[k];
      layer.sdbBreaks = SDB.breaks(max, colors.length);
      layer.sdbCounts = counts;
      layer.sdbTotal = 0;
      layer.eachLayer(function (l) {
        var n = counts[l.feature.properties.i] || 0;
        layer.sdbTotal += n;
        // Restyle only regions whose class changed: every style change repaints big polygons.
        var key = n ? classOf(n, layer.sdbBreaks) : -1;
        if (key !== l._sdbClass) {
          l._sdbClass = key;
          l.setStyle(regionStyle(n));
        }
        if (l.isTooltipOpen()) l.setTooltipContent(tooltip(l.feature, n));
      });
    };
    layer.sdbLegend = function (ctx) {
      var b = layer.sdbBreaks,
        html = "<h4>Strikes per region (shown now)</h4><ul>";
      b.forEach(function (low, k) {
        var high = k + 1 < b.length ? b[k + 1] - 1 : null;
        var text = high === null ? low + "+" : high === low ? String(low) : low + "\u2013" + high;
        html += '<li><span class="sdb-box" style="background:' + SDB.esc(colors[k]) + '"></span>' + SDB.esc(text) + "</li>";
      });
      html += '<li><span class="sdb-box" style="background:' + SDB.esc(ctx.style.choroplethEmpty) + '"></span>none</li>';
      return html + "</ul>";
    };
    ctx.register((opts && opts.key) || "regions", layer);
    return layer;
  };

