# Reference values for python_udfs.clogit with non-identified (aliased) covariates, from R
# survival::clogit(method = "exact"): coxph reports NA for such coefficients and fits the rest.
#
# Run from the repository root:
#   Rscript tests/reference/clogit/generate_reference_aliased.R
# Input : tests/data/stats/infert.csv (R's datasets::infert, see generate_reference.R)
# Output: tests/reference/clogit/infert_aliased_exact.csv ('#' provenance lines first)
# Added columns: stratum_even = stratum %% 2 (constant within every stratum),
#                both = spontaneous + induced (a linear combination of earlier covariates).
suppressPackageStartupMessages(library(survival))
df <- read.csv("tests/data/stats/infert.csv")
df$stratum_even <- df$stratum %% 2
df$both <- df$spontaneous + df$induced
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)
cmd <- 'clogit(case ~ spontaneous + stratum_even + induced + both + strata(stratum), data = infert, method = "exact", control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100))'
fit <- clogit(case ~ spontaneous + stratum_even + induced + both + strata(stratum), data = df,
              method = "exact", control = ctl)
co <- coef(fit)
se <- sqrt(diag(vcov(fit)))
res <- data.frame(
  term = names(co),
  estimate = ifelse(is.na(co), "NA", sprintf("%.15e", co)),
  std_error = "NA",
  loglik = sprintf("%.15e", fit$loglik[2])
)
res$std_error[!is.na(co)] <- sprintf("%.15e", se[!is.na(co)])
con <- file("tests/reference/clogit/infert_aliased_exact.csv", "w")
writeLines(c(
  sprintf("# software: %s; survival %s", R.version.string, as.character(packageVersion("survival"))),
  sprintf("# command: %s", cmd),
  "# data: tests/data/stats/infert.csv with stratum_even = stratum %% 2, both = spontaneous + induced",
  "# date: 2026-11-23"
), con)
write.csv(res, con, row.names = FALSE, quote = FALSE)
close(con)
print(res)
