# Base-R twin of scripts/bench_stats.py: the same comparisons on the same data.
#
#   Rscript scripts/bench_stats.R trial.csv
#
# trial.csv: long format with columns pid, arm, timepoint, vas, odi (NA = missing).
# For each outcome: per timepoint, descriptives per arm (quantile type 6 = SPSS
# HAVERAGE), KS-Lilliefors (Dallal-Wilkinson) + Shapiro-Wilk (n <= 5000) per
# arm, then Student's t (+ Welch, mean-centred Levene) when both arms look
# normal, else wilcox.test(exact = FALSE, correct = FALSE); per arm the
# Friedman test on complete cases with SPSS pairwise comparisons.
# Prints "seconds <outcome> <s>" and "result <outcome> <what> <label> <value>"
# lines that bench_stats.py parses and compares with its own results.

args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
timepoints <- unique(d$timepoint)
arms <- unique(d$arm)

lillie_p <- function(x) {
  x <- sort(x); n <- length(x)
  p <- pnorm((x - mean(x)) / sd(x))
  dmax <- max(max(seq_len(n) / n - p), max(p - (seq_len(n) - 1) / n))
  kd <- if (n > 100) dmax * (n / 100)^0.49 else dmax
  nd <- min(n, 100)
  exp(-7.01256 * kd^2 * (nd + 2.78019) + 2.99587 * kd * sqrt(nd + 2.78019) -
        0.122119 + 0.974598 / sqrt(nd) + 1.67997 / nd)
}

describe <- function(x) {
  c(n = length(x), mean = mean(x), sd = sd(x),
    quantile(x, c(0.25, 0.5, 0.75), type = 6), min = min(x), max = max(x))
}

compare <- function(a, b) {
  groups <- list(a, b)
  for (v in groups) if (length(v) >= 3 && length(v) <= 5000) shapiro.test(v)
  normal <- all(vapply(groups, function(v) lillie_p(v) >= 0.05, TRUE))
  if (normal) {
    t.test(a, b, var.equal = FALSE)
    dev <- c(abs(a - mean(a)), abs(b - mean(b)))
    anova(lm(dev ~ factor(rep(1:2, c(length(a), length(b))))))
    return(list(test = "student_t", p = t.test(a, b, var.equal = TRUE)$p.value))
  }
  list(test = "mann_whitney", p = wilcox.test(a, b, exact = FALSE, correct = FALSE)$p.value)
}

row_mean_ranks <- function(m) {
  # average within-row ranks without apply(): rank = 1 + #smaller + (#equal - 1) / 2
  k <- ncol(m)
  vapply(seq_len(k), function(j) {
    smaller <- rowSums(m < m[, j]); equal <- rowSums(m == m[, j])
    mean(1 + smaller + (equal - 1) / 2)
  }, 0)
}

friedman_arm <- function(sub, outcome) {
  subjects <- unique(sub$pid)
  m <- matrix(NA_real_, length(subjects), length(timepoints))
  m[cbind(match(sub$pid, subjects), match(sub$timepoint, timepoints))] <- sub[[outcome]]
  m <- m[complete.cases(m), , drop = FALSE]
  ft <- friedman.test(m)
  n <- nrow(m); k <- ncol(m)
  mr <- row_mean_ranks(m)
  pr <- combn(k, 2)
  z <- (mr[pr[1, ]] - mr[pr[2, ]]) / sqrt(k * (k + 1) / (6 * n))
  p_adj <- p.adjust(2 * pnorm(-abs(z)), "bonferroni")
  list(statistic = unname(ft$statistic), p_adj = p_adj)
}

for (outcome in c("vas", "odi")) {
  results <- list()
  elapsed <- system.time({
    for (tp in timepoints) {
      at <- d[d$timepoint == tp, ]
      a <- at[at$arm == arms[1], outcome]; a <- a[!is.na(a)]
      b <- at[at$arm == arms[2], outcome]; b <- b[!is.na(b)]
      describe(a); describe(b)
      results[[paste("compare_p", gsub(" ", "_", tp))]] <- compare(a, b)$p
    }
    for (arm in arms) {
      fr <- friedman_arm(d[d$arm == arm, ], outcome)
      results[[paste("friedman_chi2", arm)]] <- fr$statistic
      results[[paste("pairwise_first_p_adj", arm)]] <- fr$p_adj[1]
    }
  })[["elapsed"]]
  cat(sprintf("seconds %s %.6f\n", outcome, elapsed))
  for (key in names(results)) cat(sprintf("result %s %s %.17g\n", outcome, key, results[[key]]))
}
cat("version", R.version.string, "\n")
