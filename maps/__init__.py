"""Folium map rendering. Takes data (GeoDataFrames or rows), never a database session."""
