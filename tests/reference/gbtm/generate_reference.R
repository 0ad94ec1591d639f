# Reference log-likelihoods for GBTM Poisson mixtures from R flexmix (independent software).
#
# Run from the repository root:
#   Rscript tests/reference/gbtm/generate_reference.R
# Writes tests/reference/gbtm/flexmix_reference.csv (log-likelihoods) and
# tests/reference/gbtm/flexmix_trajectories.csv (fitted rates per group and age).
#
# Model: flexmix(y ~ x + I(x^2) [+ I(x^3)] | id, k = K,
#                model = FLXMRglm(family = "poisson", offset = log(e))) on long data (one row per
# observed person-age, missing cells dropped). The "| id" grouping makes all rows of a
# person share one latent class, so the flexmix log-likelihood is
#   sum_i log sum_j pi_j prod_t Pois(y_it; lambda_j(age_t) * e_it),
# i.e. exactly the GBTM Poisson-mixture likelihood. x = (age - 23.5) / 11.5 (the optimum
# log-likelihood and fitted rates do not depend on the polynomial basis). The exposure
# offset is passed through FLXMRglm(offset=): an offset() term inside the formula was
# silently ignored by flexmix 2.3-18 here (its fitted rates came out ~mean(e) times too
# small and its logLik disagreed with the hand-recomputed one), so the script also
# recomputes the grouped log-likelihood by hand (column loglik_recomputed) as a check.
suppressPackageStartupMessages(library(flexmix))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
ref_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/gbtm"
data_dir <- normalizePath(file.path(ref_dir, "..", "..", "data", "gbtm"))

read_long <- function(counts_file, exposure_file = NULL) {
  wide <- read.csv(file.path(data_dir, counts_file), check.names = FALSE, colClasses = "character")
  ages <- as.numeric(names(wide)[-1])
  y <- suppressWarnings(matrix(as.numeric(as.matrix(wide[, -1])), nrow = nrow(wide)))
  e <- matrix(1, nrow(y), ncol(y))
  if (!is.null(exposure_file)) {
    ew <- read.csv(file.path(data_dir, exposure_file), check.names = FALSE, colClasses = "character")
    e <- suppressWarnings(matrix(as.numeric(as.matrix(ew[, -1])), nrow = nrow(ew)))
  }
  long <- data.frame(id = rep(wide[[1]], times = ncol(y)), age = rep(ages, each = nrow(y)),
                     y = as.vector(y), e = as.vector(e))
  long <- long[!is.na(long$y) & !is.na(long$e) & long$e > 0, ]
  long$x <- (long$age - 23.5) / 11.5
  long$id <- factor(long$id)
  long
}

formula_for <- function(degree, exposure) {
  terms <- c("x", "I(x^2)", "I(x^3)")[seq_len(degree)]
  rhs <- paste(if (degree == 0) "1" else terms, collapse = " + ")
  as.formula(paste("y ~", rhs, "| id"))
}

cases <- list(
  list(name = "poisson_k1_d2", file = "poisson_mixture.csv", expo = NULL, k = 1, degree = 2),
  list(name = "poisson_k2_d2", file = "poisson_mixture.csv", expo = NULL, k = 2, degree = 2),
  list(name = "poisson_k3_d2", file = "poisson_mixture.csv", expo = NULL, k = 3, degree = 2),
  list(name = "poisson_k3_d3", file = "poisson_mixture.csv", expo = NULL, k = 3, degree = 3),
  list(name = "poisson_exposure_k3_d2", file = "poisson_mixture_exposure_counts.csv",
       expo = "poisson_mixture_exposure_exposure.csv", k = 3, degree = 2)
)

set.seed(20261123)
nrep <- 20
ll_rows <- list()
traj_rows <- list()
for (case in cases) {
  long <- read_long(case$file, case$expo)
  f <- formula_for(case$degree, !is.null(case$expo))
  fits <- stepFlexmix(f, data = long, k = case$k, nrep = nrep, verbose = FALSE,
                      model = FLXMRglm(family = "poisson", offset = log(long$e)),
                      control = list(minprior = 0, iter.max = 5000, tolerance = 1e-10))
  best <- if (inherits(fits, "stepFlexmix")) getModel(fits, "logLik") else fits
  ll <- as.numeric(logLik(best))
  # check the grouped likelihood by hand: sum_i log sum_j pi_j prod_t dpois(...)
  coefs <- parameters(best)
  pri <- prior(best)
  terms <- c("x", "I(x^2)", "I(x^3)")[seq_len(case$degree)]
  X <- cbind(1, sapply(seq_len(case$degree), function(d) long$x^d))
  lj <- sapply(seq_len(case$k), function(j) {
    lam <- exp(X %*% coefs[seq_len(case$degree + 1), j]) * long$e
    tapply(dpois(long$y, lam, log = TRUE), long$id, sum) + log(pri[j])
  })
  lj <- matrix(lj, ncol = case$k)
  m <- apply(lj, 1, max)
  ll_check <- sum(m + log(rowSums(exp(lj - m))))
  ll_rows[[case$name]] <- data.frame(case = case$name, counts_file = case$file,
    exposure_file = ifelse(is.null(case$expo), "", case$expo), groups = case$k, degree = case$degree,
    n_persons = nlevels(long$id), n_observations = nrow(long), loglik = sprintf("%.8f", ll),
    loglik_recomputed = sprintf("%.8f", ll_check), nrep = nrep)
  xs <- (12:35 - 23.5) / 11.5
  Xa <- cbind(1, sapply(seq_len(case$degree), function(d) xs^d))
  rates <- sapply(seq_len(case$k), function(j) exp(Xa %*% coefs[seq_len(case$degree + 1), j]))
  rates <- matrix(rates, ncol = case$k)
  ord <- order(colMeans(rates))
  for (g in seq_along(ord)) {
    traj_rows[[paste(case$name, g)]] <- data.frame(case = case$name, group = g, share = sprintf("%.8f", pri[ord[g]]),
      age = 12:35, rate = sprintf("%.8f", rates[, ord[g]]))
  }
}

header <- c(
  "# software: R flexmix (stepFlexmix, FLXMRglm family=poisson, grouping | id)",
  paste0("# versions: ", R.version.string, "; flexmix ", as.character(packageVersion("flexmix"))),
  "# command: Rscript tests/reference/gbtm/generate_reference.R",
  "# data: tests/data/gbtm/*.csv (made by tests/reference/gbtm/make_reference_data.py)",
  paste0("# options: nrep=", nrep, ", minprior=0, iter.max=5000, tolerance=1e-10, set.seed(20261123)"),
  "# date: 2026-11-23"
)
write_out <- function(rows, file) {
  path <- file.path(ref_dir, file)
  writeLines(header, path)
  suppressWarnings(write.table(do.call(rbind, rows), path, sep = ",", row.names = FALSE, append = TRUE, quote = FALSE))
}
write_out(ll_rows, "flexmix_reference.csv")
write_out(traj_rows, "flexmix_trajectories.csv")
cat("done\n")
