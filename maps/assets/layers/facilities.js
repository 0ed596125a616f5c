  // ------------------------------------------------------------------ facilities
  /** Facilities sized by capacity, coloured by type. */
  SDB.FacilityLayer = L.FeatureGroup.extend({
    initialize: function (ctx, data, opts) {
      L.FeatureGroup.prototype.initialize.call(this, []);
      var e = SDB.esc,
        self = this;
      this._data = data;
      ctx.register((opts && opts.key) || "facilities", this);
      data.whenReady(function () {
        for (var i = 0; i < data.n; i++) {
          var type = data.get("ft", i);
          self.addLayer(
            L.circleMarker([data.get("lat", i), data.get("lon", i)], {
              renderer: ctx.facilityRenderer,
              pane: "sdbFacilities",
              radius: data.get("r", i),
              color: ctx.style.typeColors[type],
              weight: 2,
              fillColor: ctx.style.typeColors[type],
              fillOpacity: 0.12,
              className: "sdb-facility",
              sdbIndex: i,
            })
          );
        }
      });
      this.on("click", function (ev) {
        var k = ev.layer.options.sdbIndex,
          type = data.get("ft", k);
        var g = function (key) {
          return data.get(key, k);
        };
        var place = [g("a1"), g("cc")]
          .filter(function (x) {
            return x;
          })
          .map(e)
          .join(", ");
        var hits = g("hits");
        var html =
          '<div class="sdb-popup"><div class="sdb-popup-title">' +
          e(g("name")) +
          "</div><table>" +
          row("Type", e(label(type === "unknown" ? null : g("ft")))) +
          row("Operator", e(g("op"))) +
          row("Capacity", e(g("cap"))) +
          row("Place", place) +
          row("Strikes", hits === null || hits === undefined ? "" : e(hits)) +
          "</table></div>";
        openPopup(ctx, html, ev.layer.getLatLng());
      });
    },
    sdbLegend: function (ctx) {
      var data = this._data,
        present = {};
      if (data.isReady) for (var i = 0; i < data.n; i++) present[data.get("ft", i)] = true;
      var html = "<h4>Facilities (rings, sized by capacity)</h4><ul>";
      ctx.style.facilityRadiusExamples.forEach(function (ex) {
        html +=
          '<li><span class="sdb-ring" style="width:' + 2 * ex[0] + "px;height:" + 2 * ex[0] + 'px"></span>' +
          SDB.esc(ex[1]) + "</li>";
      });
      ctx.style.facilityTypes.forEach(function (type) {
        if (present[type]) {
          html +=
            '<li><span class="sdb-ring" style="width:12px;height:12px;border-color:' +
            SDB.esc(ctx.style.typeColors[type]) + '"></span>' + SDB.esc(label(type)) + "</li>";
        }
      });
      return html + "</ul>";
    },
  });

