# Reference values for tests/stats (the clinic.stats engine), computed in base R.
#
#   Rscript tests/stats/reference/make_reference.R
#
# Writes tests/stats/reference/<name>.json (inputs AND expected values) with
# every double printed as sprintf("%.17g"). Base R only (no jsonlite, no
# nortest): each reference is either a base-R test function
# (wilcox.test, t.test, friedman.test, kruskal.test, chisq.test, fisher.test,
# shapiro.test, quantile(type = 6), anova(lm())) or a formula written out
# below (MW Z, Kendall's W, Siegel-Castellan and Dunn pairwise, KS D and the
# Dallal-Wilkinson p). The Python engine shares no code with this file.

args <- commandArgs(trailingOnly = FALSE)
script_dir <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

# ---------------------------------------------------------------- JSON writer
json_scalar <- function(v) {
  if (is.na(v)) return("null")
  if (is.logical(v)) return(if (v) "true" else "false")
  if (is.character(v)) {
    v <- gsub("\\\\", "\\\\\\\\", v)
    return(paste0("\"", gsub("\"", "\\\\\"", v), "\""))
  }
  if (is.integer(v)) return(as.character(v))
  if (!is.finite(v)) stop("non-finite number in reference output")
  sprintf("%.17g", v)
}

arr <- function(v) structure(v, json_array = TRUE)  # force a JSON array even if length 1

to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    if (!is.null(names(x))) {
      items <- vapply(names(x), function(n) {
        paste0(inner, json_scalar(n), ": ", to_json(x[[n]], inner))
      }, "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", indent, "}"))
    }
    items <- vapply(x, function(e) paste0(inner, to_json(e, inner)), "")
    return(paste0("[\n", paste(items, collapse = ",\n"), "\n", indent, "]"))
  }
  if (is.factor(x)) x <- as.character(x)
  x <- unname(x)
  if (length(x) == 1 && is.null(attr(x, "json_array"))) return(json_scalar(x))
  paste0("[", paste(vapply(seq_along(x), function(i) json_scalar(x[[i]]), ""), collapse = ", "), "]")
}

write_ref <- function(name, cases) {
  doc <- list(
    produced_by = paste0("tests/stats/reference/make_reference.R with ", R.version.string),
    cases = cases
  )
  writeLines(to_json(doc), file.path(script_dir, paste0(name, ".json")))
}

# ---------------------------------------------------------------- data
set.seed(20250601)
clamp <- function(v, lo, hi) pmin(pmax(v, lo), hi)
vas <- function(n, centre) as.integer(clamp(round(rnorm(n, centre, 1.6)), 0, 10))
odi <- function(n, centre) as.integer(2 * clamp(round(rnorm(n, centre / 2, 4)), 0, 50))

vas_a <- vas(30, 3); vas_a[c(4, 17)] <- NA          # VAS at 1 month, arm A, 2 missing
vas_b <- vas(27, 4); vas_b[9] <- NA                  # VAS at 1 month, arm B, 1 missing
odi_a <- odi(12, 24)                                 # ODI (even integers), unequal groups
odi_b <- odi(20, 28)
age_a <- round(rnorm(15, 51.3, 8.8), 1)             # continuous-ish, for t-tests
age_b <- round(rnorm(18, 52.7, 10.1), 1)
distinct_a <- c(3.1, 4.7, 2.2, 5.9, 6.4, 1.8)
distinct_b <- c(4.4, 7.3, 5.1, 8.8, 6.9, 7.7, 9.2, 5.6)
wide_a <- round(runif(40, 0, 100), 2)
wide_b <- round(runif(45, 10, 110), 2)
stopifnot(!anyDuplicated(c(wide_a, wide_b)))
big_a <- round(runif(60, 0, 100), 3); big_b <- round(runif(55, 5, 105), 3)
stopifnot(!anyDuplicated(c(big_a, big_b)))
skewed <- c(0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 7, 9, 10, 10,
            0, 0, 0, 1, 1, 1, 2, 2, 3, 8)
big_skew <- as.integer(clamp(round(rexp(150, 1 / 2)), 0, 10))

# ---------------------------------------------------------------- describe
describe_case <- function(name, v) {
  x <- v[!is.na(v)]
  q <- quantile(x, c(0.25, 0.5, 0.75), type = 6, names = FALSE)
  list(name = name, values = arr(v), n = length(x), missing = sum(is.na(v)),
       mean = mean(x), sd = if (length(x) > 1) sd(x) else NA,
       q1 = q[1], median = q[2], q3 = q[3], min = min(x), max = max(x))
}
write_ref("describe", list(
  describe_case("vas_a_with_missing", vas_a),
  describe_case("vas_b_with_missing", vas_b),
  describe_case("odi_a_even", odi_a),
  describe_case("odi_b_even", odi_b),
  describe_case("age_a", age_a),
  describe_case("n2", c(4, 7)),
  describe_case("n1", c(5)),
  describe_case("n5", c(2, 9, 4, 4, 8))
))

# ---------------------------------------------------------------- Mann-Whitney
mw_case <- function(name, x, y) {
  x <- x[!is.na(x)]; y <- y[!is.na(y)]
  n1 <- length(x); n2 <- length(y); N <- n1 + n2
  r <- rank(c(x, y))
  u1 <- sum(r[1:n1]) - n1 * (n1 + 1) / 2
  u <- min(u1, n1 * n2 - u1)
  nties <- table(r)
  sigma <- sqrt((n1 * n2 / 12) * ((N + 1) - sum(nties^3 - nties) / (N * (N - 1))))
  z <- (u - n1 * n2 / 2) / sigma
  wt <- wilcox.test(x, y, exact = FALSE, correct = FALSE)
  stopifnot(abs(unname(wt$statistic) - u1) < 1e-9, abs(2 * pnorm(-abs(z)) - wt$p.value) < 1e-12)
  ties <- any(duplicated(c(x, y)))
  p_exact <- if (!ties && n1 <= 50 && n2 <= 50) wilcox.test(x, y, exact = TRUE)$p.value else NA
  list(name = name, u1 = unname(wt$statistic), u = u, z = z, p = wt$p.value,
       p_exact = p_exact, r = abs(z) / sqrt(N), rank_biserial = (2 * u1 - n1 * n2) / (n1 * n2),
       n1 = n1, n2 = n2)
}
mw_inputs <- list(
  list("vas_1month_ties_missing", vas_a, vas_b),
  list("odi_unequal_even", odi_a, odi_b),
  list("small_no_ties", distinct_a, distinct_b),
  list("tiny_1_vs_2", c(4.5), c(1.5, 7.5)),
  list("tiny_2_vs_3", c(2, 9), c(4, 5, 6)),
  list("no_ties_40_45", wide_a, wide_b),
  list("no_ties_60_55_too_big_for_exact", big_a, big_b),
  list("r_doc_example", c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46),
       c(1.15, 0.88, 0.90, 0.74, 1.21))
)
write_ref("mann_whitney", lapply(mw_inputs, function(a) {
  c(mw_case(a[[1]], a[[2]], a[[3]]), list(x = arr(a[[2]]), y = arr(a[[3]])))
}))

# ---------------------------------------------------------------- t-test
t_case <- function(name, x, y) {
  nx <- length(x); ny <- length(y)
  st <- t.test(x, y, var.equal = TRUE)
  we <- if (nx > 1 && ny > 1) t.test(x, y, var.equal = FALSE) else NULL
  d <- c(abs(x - mean(x)), abs(y - mean(y)))
  g <- factor(c(rep("x", nx), rep("y", ny)))
  lev <- anova(lm(d ~ g))
  ss <- sum((x - mean(x))^2) + sum((y - mean(y))^2)
  list(name = name, x = arr(x), y = arr(y),
       t = unname(st$statistic), df = unname(st$parameter), p = st$p.value,
       welch_t = if (is.null(we)) NA else unname(we$statistic),
       welch_df = if (is.null(we)) NA else unname(we$parameter),
       welch_p = if (is.null(we)) NA else we$p.value,
       levene_f = lev[["F value"]][1], levene_p = lev[["Pr(>F)"]][1],
       cohen_d = (mean(x) - mean(y)) / sqrt(ss / (nx + ny - 2)))
}
sleep1 <- sleep$extra[sleep$group == 1]; sleep2 <- sleep$extra[sleep$group == 2]
write_ref("t_test", list(
  t_case("age", age_a, age_b),
  t_case("vas_ints", as.numeric(na.omit(vas_a))[1:12], as.numeric(na.omit(vas_b))[1:9]),
  t_case("n1_vs_5", c(7), c(3, 4, 6, 5, 4)),
  t_case("zero_variance_group", c(5, 5, 5, 5), c(3, 4, 6, 7, 5)),
  t_case("sleep_r_doc", sleep1, sleep2)
))

# ---------------------------------------------------------------- chi-square / Fisher
chi_case <- function(name, m) {
  full <- m
  m <- m[rowSums(m) > 0, colSums(m) > 0, drop = FALSE]
  ch <- suppressWarnings(chisq.test(m, correct = FALSE))
  e <- ch$expected
  # the exact test wherever an expected count is below 5: Fisher's for a 2x2 table,
  # Fisher-Freeman-Halton's (network algorithm) for a larger one
  fisher_p <- if (any(e < 5)) fisher.test(m, workspace = 2e8)$p.value else NA
  list(name = name, table = lapply(seq_len(nrow(full)), function(i) arr(full[i, ])),
       statistic = unname(ch$statistic), df = as.integer(ch$parameter), p = ch$p.value,
       fisher_p = fisher_p, min_expected = min(e), cells_below_5 = sum(e < 5),
       yates_p = if (all(dim(m) == 2)) suppressWarnings(chisq.test(m))$p.value else NA)
}
write_ref("chi_square", list(
  chi_case("paper_gender_2x2", rbind(c(46, 44), c(54, 56))),
  chi_case("paper_L4_3x2", rbind(c(21, 20), c(43, 38), c(36, 42))),
  chi_case("sparse_2x2_fisher", rbind(c(3, 7), c(8, 2))),
  chi_case("tea_tasting_r_doc", rbind(c(3, 1), c(1, 3))),
  chi_case("zero_row_dropped", rbind(c(12, 5), c(0, 0), c(7, 14))),
  chi_case("sparse_2x3", rbind(c(1, 6, 2), c(4, 1, 9))),
  chi_case("r_doc_party", rbind(c(762, 327, 468), c(484, 239, 477))),
  chi_case("r_doc_job_satisfaction_4x4", t(matrix(c(1, 2, 1, 0, 3, 3, 6, 1, 10, 10, 14, 9,
                                                    6, 7, 12, 11), 4, 4))),
  chi_case("paper_complications_4x2", rbind(c(99, 96), c(1, 1), c(0, 1), c(0, 2))),
  chi_case("paper_satisfaction_results_4x2", rbind(c(1, 1), c(5, 6), c(49, 58), c(45, 35))),
  chi_case("dose_levels_6x2", rbind(c(60, 55), c(20, 25), c(8, 3), c(2, 6), c(1, 0),
                                    c(0, 2))),
  chi_case("dose_levels_6x2_n392", rbind(c(140, 135), c(40, 55), c(8, 3), c(2, 6), c(1, 0),
                                         c(0, 2))),
  chi_case("three_arms_4x3", rbind(c(20, 18, 25), c(22, 19, 17), c(15, 21, 20), c(4, 1, 3))),
  chi_case("three_arms_5x3", rbind(c(40, 35, 38), c(12, 15, 10), c(4, 1, 3), c(1, 3, 0),
                                   c(0, 1, 2)))
))

# ---------------------------------------------------------------- Friedman
siegel <- function(m) {
  n <- nrow(m); k <- ncol(m)
  mr <- colMeans(t(apply(m, 1, rank)))
  pr <- combn(k, 2)
  se <- sqrt(k * (k + 1) / (6 * n))
  z <- (mr[pr[1, ]] - mr[pr[2, ]]) / se
  p <- 2 * pnorm(-abs(z))
  list(a = colnames(m)[pr[1, ]], b = colnames(m)[pr[2, ]], z = z, p = p,
       p_adj = p.adjust(p, "bonferroni"), mean_ranks = arr(mr))
}
friedman_case <- function(name, m) {
  cc <- m[complete.cases(m), , drop = FALSE]
  ft <- friedman.test(cc)
  s <- unname(ft$statistic); n <- nrow(cc); k <- ncol(cc)
  list(name = name, timepoints = colnames(m), subjects = rownames(m),
       matrix = lapply(seq_len(nrow(m)), function(i) arr(m[i, ])),
       statistic = s, df = as.integer(ft$parameter), p = ft$p.value, n = n,
       excluded = arr(rownames(m)[!complete.cases(m)]),
       kendall_w = s / (n * (k - 1)), pairwise = siegel(cc))
}
rounding <- matrix(c(5.40, 5.50, 5.55, 5.85, 5.70, 5.75, 5.20, 5.60, 5.50, 5.55, 5.50, 5.40,
                     5.90, 5.85, 5.70, 5.45, 5.55, 5.60, 5.40, 5.40, 5.35, 5.45, 5.50, 5.35,
                     5.25, 5.15, 5.00, 5.85, 5.80, 5.70, 5.25, 5.20, 5.10, 5.65, 5.55, 5.45,
                     5.60, 5.35, 5.45, 5.05, 5.00, 4.95, 5.50, 5.50, 5.40, 5.45, 5.55, 5.50,
                     5.55, 5.55, 5.35, 5.45, 5.50, 5.55, 5.50, 5.45, 5.25, 5.65, 5.60, 5.40,
                     5.70, 5.65, 5.55, 6.30, 6.30, 6.25),
                   nrow = 22, byrow = TRUE,
                   dimnames = list(paste0("s", 1:22), c("Round Out", "Narrow Angle", "Wide Angle")))
tp6 <- c("Before", "1 day", "1 week", "1 month", "3 months", "6 months")
vas_traj <- function(n) {
  base <- sample(5:9, n, replace = TRUE)
  drop <- c(0, 1.8, 2.2, 2.8, 3, 3.3)
  m <- t(sapply(base, function(b) clamp(round(b - drop + rnorm(6, 0, 1)), 0, 10)))
  dimnames(m) <- list(paste0("p", seq_len(n)), tp6)
  m
}
vas_m <- vas_traj(15); vas_m[3, 4] <- NA; vas_m[11, 6] <- NA
odi_m <- matrix(2 * as.integer(clamp(round(rnorm(40, rep(c(16, 12, 10, 8), each = 10), 3)), 0, 50)),
                ncol = 4, dimnames = list(paste0("q", 1:10), tp6[c(1, 4, 5, 6)]))
write_ref("friedman", list(
  friedman_case("rounding_times_hollander_wolfe", rounding),
  friedman_case("vas_6_timepoints_missing", vas_m),
  friedman_case("odi_4_timepoints", odi_m)
))

# ---------------------------------------------------------------- Kruskal-Wallis + Dunn
kw_case <- function(name, groups) {
  x <- unlist(groups, use.names = FALSE)
  g <- factor(rep(names(groups), lengths(groups)), levels = names(groups))
  kt <- kruskal.test(x, g)
  r <- rank(x); N <- length(x); tt <- table(x); ties <- sum(tt^3 - tt)
  mr <- tapply(r, g, mean); ni <- tapply(r, g, length)
  pr <- combn(length(groups), 2)
  se <- sqrt((N * (N + 1) / 12 - ties / (12 * (N - 1))) * (1 / ni[pr[1, ]] + 1 / ni[pr[2, ]]))
  z <- unname((mr[pr[1, ]] - mr[pr[2, ]]) / se)
  p <- 2 * pnorm(-abs(z))
  list(name = name, groups = lapply(groups, arr), statistic = unname(kt$statistic),
       df = as.integer(kt$parameter), p = kt$p.value,
       pairwise = list(a = names(groups)[pr[1, ]], b = names(groups)[pr[2, ]], z = z, p = p,
                       p_adj = p.adjust(p, "bonferroni")),
       p_untied_dunn = 2 * pnorm(-abs(unname((mr[pr[1, ]] - mr[pr[2, ]]) /
                           sqrt(N * (N + 1) / 12 * (1 / ni[pr[1, ]] + 1 / ni[pr[2, ]]))))))
}
write_ref("kruskal_wallis", list(
  kw_case("vas_three_arms_unequal", list(
    fluoro = as.numeric(na.omit(vas_a))[1:8], ct = as.numeric(na.omit(vas_b))[1:12],
    ultrasound = vas(5, 5))),
  kw_case("odi_four_arms", list(a = odi(7, 20), b = odi(9, 24), c = odi(6, 30), d = odi(4, 22))),
  kw_case("hollander_wolfe_r_doc", list(
    normal = c(2.9, 3.0, 2.5, 2.6, 3.2), copd = c(3.8, 2.7, 4.0, 2.4),
    asbestosis = c(2.8, 3.4, 3.7, 2.2, 2.0)))
))

# ---------------------------------------------------------------- normality
lillie_dw <- function(x) {
  x <- sort(x); n <- length(x)
  p <- pnorm((x - mean(x)) / sd(x))
  d <- max(max(seq_len(n) / n - p), max(p - (seq_len(n) - 1) / n))
  kd <- if (n > 100) d * (n / 100)^0.49 else d
  nd <- if (n > 100) 100 else n
  pv <- exp(-7.01256 * kd^2 * (nd + 2.78019) + 2.99587 * kd * sqrt(nd + 2.78019) -
              0.122119 + 0.974598 / sqrt(nd) + 1.67997 / nd)
  list(ks_d = d, ks_p_dallal_wilkinson = pv)
}
norm_case <- function(name, v) {
  x <- v[!is.na(v)]
  sw <- if (length(x) >= 3 && length(x) <= 5000) shapiro.test(x) else NULL
  c(list(name = name, values = arr(v),
         shapiro_w = if (is.null(sw)) NA else unname(sw$statistic),
         shapiro_p = if (is.null(sw)) NA else sw$p.value),
    if (length(x) >= 4) lillie_dw(x) else list(ks_d = NA, ks_p_dallal_wilkinson = NA))
}
write_ref("normality", list(
  norm_case("skewed_vas_heavy_ties", skewed),
  norm_case("big_skew_n150", big_skew),
  norm_case("vas_a_with_missing", vas_a),
  norm_case("odi_b_even", odi_b),
  norm_case("age_a_normalish", age_a),
  norm_case("n3", c(2, 3, 7)),
  norm_case("uniform_n300", round(runif(300, 0, 10), 1))
))
cat("reference JSON written to", script_dir, "\n")
