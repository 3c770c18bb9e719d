# Reference values for clinic/stats/effect_sizes.py, from metafor's escalc.
#   Rscript tests/stats/reference/make_effect_sizes.R   (needs the metafor package)
# Writes effect_sizes.json next to this file. R is not needed to run the tests.
suppressPackageStartupMessages(library(metafor))
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))))
num <- function(x) sprintf("%.17g", x)
row <- function(fields) paste0("{", paste(sprintf('"%s": %s', names(fields), fields), collapse = ", "), "}")

# continuous outcomes: n, mean, SD per group (VAS-, ODI- and dose-like values, tiny to large)
m <- data.frame(
  n1 = c(30, 12, 45, 8, 100, 25, 60, 15, 200, 40, 9, 33),
  m1 = c(3.1, 5.5, 21.4, 2.0, 4.8, 30.0, 1.9, 6.2, 350.5, 3.0, 7.1, 12.0),
  sd1 = c(1.2, 2.1, 9.8, 0.9, 2.2, 14.0, 1.1, 2.5, 120.3, 1.9, 0.4, 6.5),
  n2 = c(32, 14, 41, 7, 98, 27, 58, 16, 190, 40, 11, 30),
  m2 = c(4.0, 4.1, 28.9, 2.8, 5.1, 24.5, 2.6, 6.2, 410.0, 4.5, 6.0, 15.5),
  sd2 = c(1.5, 1.8, 11.2, 1.6, 2.0, 12.5, 1.4, 3.1, 150.7, 2.3, 0.9, 7.0))
md <- escalc("MD", m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2, n2i = n2, data = m)
smd <- escalc("SMD", m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2, n2i = n2, data = m)
# 2x2 tables: events/n per group, some with a zero cell (0.5 added to that table only)
b <- data.frame(ai = c(12, 3, 0, 20, 45, 5, 0, 30, 7, 18, 1, 40),
                n1i = c(40, 25, 30, 20, 100, 50, 12, 30, 9, 60, 80, 41),
                ci = c(8, 6, 4, 15, 38, 0, 0, 22, 3, 25, 6, 35),
                n2i = c(42, 24, 28, 20, 98, 52, 14, 31, 10, 58, 75, 40))
rr <- escalc("RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = b)
or <- escalc("OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = b)

lines <- c()
for (i in seq_len(nrow(m))) lines <- c(lines, row(c(
  n1 = num(m$n1[i]), m1 = num(m$m1[i]), sd1 = num(m$sd1[i]),
  n2 = num(m$n2[i]), m2 = num(m$m2[i]), sd2 = num(m$sd2[i]),
  md = num(md$yi[i]), md_v = num(md$vi[i]), g = num(smd$yi[i]), g_v = num(smd$vi[i]))))
tables <- c()
for (i in seq_len(nrow(b))) tables <- c(tables, row(c(
  a = num(b$ai[i]), n1 = num(b$n1i[i]), c = num(b$ci[i]), n2 = num(b$n2i[i]),
  log_rr = num(rr$yi[i]), log_rr_v = num(rr$vi[i]),
  log_or = num(or$yi[i]), log_or_v = num(or$vi[i]))))
out <- c("{", sprintf('  "produced_by": "%s, metafor %s",', R.version.string,
                      as.character(packageVersion("metafor"))),
         '  "continuous": [', paste0("    ", lines, collapse = ",\n"), "  ],",
         '  "tables": [', paste0("    ", tables, collapse = ",\n"), "  ]", "}")
writeLines(out, file.path(here, "effect_sizes.json"))
