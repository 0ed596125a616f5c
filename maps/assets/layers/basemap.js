  /** Country outlines drawn under everything: the basemap that needs no network. */
  SDB.basemap = function (ctx, geojson) {
    return L.geoJSON(geojson, {
      pane: "sdbBasemap",
      interactive: false,
      style: { color: "#9a9a9a", weight: 0.7, fillColor: "#f4f3ee", fillOpacity: 1 },
    });
  };

