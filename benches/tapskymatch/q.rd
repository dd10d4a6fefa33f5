<?xml version="1.0" encoding="utf-8"?>
<!-- The source table of the tapskymatch benchmark (benches/tapskymatch/setup.sh imports it). -->
<resource schema="xmbench" resdir=".">
  <meta name="title">adql benchmark: one million sources</meta>
  <meta name="description">Gaia-like positions for the cross-service crossmatch benchmark.</meta>
  <meta name="creationDate">2026-11-23T00:00:00Z</meta>
  <meta name="subject">virtual-observatory</meta>
  <meta name="creator.name">adql project benchmarks</meta>
  <meta name="contentLevel">Research</meta>
  <meta name="type">Catalog</meta>

  <table id="sources" onDisk="True" adql="True" mixin="//scs#q3cindex">
    <meta name="description">One million sources, 60 % around the test observations.</meta>
    <primary>source_id</primary>
    <stc>Position ICRS "ra" "dec"</stc>
    <column name="source_id" type="bigint" ucd="meta.id;meta.main" required="True"/>
    <column name="ra" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main" required="True"/>
    <column name="dec" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main" required="True"/>
    <column name="phot_g_mean_mag" type="real" unit="mag" ucd="phot.mag;em.opt" required="True"/>
  </table>

  <data id="import">
    <sources pattern="data/sources.csv"/>
    <csvGrammar enc="utf-8"/>
    <make table="sources"/>
  </data>
</resource>
