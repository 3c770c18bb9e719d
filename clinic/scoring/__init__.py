"""Scoring of outcome instruments: pure functions, no Flask, no database.

Modules:
    vas          -- VAS / NRS 0-10 validation
    disability   -- ODI and NDI section scoring with severity bands
    change       -- change from baseline (absolute and percent)
    nrs          -- NRS weighted value and response category (He et al. 2025)
    opioids      -- oral morphine equivalents (CDC 2022 conversion factors)
    likert       -- 4-level satisfaction Likert
    collection   -- how a score was collected (in clinic, phone, self-report)
    quantities   -- NSAID reduction % and gabapentin mg/day validators
    instruments  -- declarative registry of all instruments (INSTRUMENTS)
    exceptions   -- ScoreError
"""
