#!/bin/sh
# Writes sakila-schema.sql and sakila-data.sql for a database named sakila_geo into OUT_DIR, from
# the compressed files beside this script only: MySQL 5.7 version comments around the GEOMETRY
# column and SPATIAL KEY unwrapped (MariaDB skips them), MySQL-8-only "SRID 0" dropped. Usage: sakila-geo.sh OUT_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: sakila-geo.sh OUT_DIR}
mkdir -p "$out"
gzip -dc "$here/sakila-schema.sql.gz" | sed \
    -e 's#/\*!50705 location GEOMETRY \*/ /\*!80003 SRID 0 \*/ /\*!50705 NOT NULL,\*/#location GEOMETRY NOT NULL,#' \
    -e 's#/\*!50705 SPATIAL KEY `idx_location` (location),\*/#SPATIAL KEY `idx_location` (location),#' \
    -e 's/\bsakila\b/sakila_geo/g' > "$out/sakila-schema.sql"
gzip -dc "$here/sakila-data.sql.gz" | sed -e 's#/\*!50705 \(0x[0-9A-F]*,\)\*/#\1#g' -e 's/^USE sakila;/USE sakila_geo;/' \
    > "$out/sakila-data.sql"
