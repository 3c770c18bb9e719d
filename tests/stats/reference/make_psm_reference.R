# Reference propensity scores for tests/stats/test_stats_matching.py, computed in base R.
#
#   Rscript tests/stats/reference/make_psm_reference.R
#
# A synthetic registry of 300 patients (seeded; written out as the test's input) and
# R's glm(treated ~ ., family = binomial) fitted probabilities and linear predictors,
# every double printed with sprintf("%.17g"). Base R only. The matching itself is
# cross-checked in the test against pymatchit-causal (a port of MatchIt), not against
# Debian's r-cran-matchit 4.5.1, whose calipers predate the fix in MatchIt 4.5.4.

args <- commandArgs(trailingOnly = FALSE)
script_dir <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

set.seed(20261203)
n <- 300
age <- round(rnorm(n, 55, 11), 1)
female <- rbinom(n, 1, 0.55)
bmi <- round(rnorm(n, 27, 4), 2)
duration <- round(rexp(n, 1 / 18), 2)
nrs <- round(runif(n, 5, 10), 1)
lp <- -5.3 + 0.035 * age + 0.45 * female + 0.06 * bmi - 0.01 * duration + 0.12 * nrs
treated <- rbinom(n, 1, plogis(lp))
fit <- glm(treated ~ age + female + bmi + duration + nrs, family = binomial)
stopifnot(fit$converged, !anyDuplicated(round(fit$linear.predictors, 12)))

num <- function(v) paste0("[", paste(sprintf("%.17g", v), collapse = ", "), "]")
int <- function(v) paste0("[", paste(as.integer(v), collapse = ", "), "]")
json <- paste0(
  "{\n",
  '  "produced_by": "tests/stats/reference/make_psm_reference.R with ', R.version.string, '",\n',
  '  "covariates": ["age", "female", "bmi", "duration", "nrs"],\n',
  '  "age": ', num(age), ",\n",
  '  "female": ', int(female), ",\n",
  '  "bmi": ', num(bmi), ",\n",
  '  "duration": ', num(duration), ",\n",
  '  "nrs": ', num(nrs), ",\n",
  '  "treated": ', int(treated), ",\n",
  '  "coefficients": ', num(coef(fit)), ",\n",
  '  "score": ', num(fitted(fit)), ",\n",
  '  "linear": ', num(fit$linear.predictors), "\n",
  "}\n")
writeLines(json, file.path(script_dir, "psm.json"), sep = "")
