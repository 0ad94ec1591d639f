# Reference values for python_udfs.clogit from R survival::clogit(method = "exact").
#
# Run from the repository root:
#   Rscript tests/reference/clogit/generate_reference.R
# Inputs : tests/data/stats/infert.csv (written here from R's datasets::infert)
#          tests/data/stats/synthetic_panel.csv (tests/reference/clogit/make_synthetic_panel.py)
# Outputs: tests/reference/clogit/infert_exact.csv, tests/reference/clogit/synthetic_exact.csv
# Each output starts with '#' provenance lines (software, version, command, data, date).
suppressPackageStartupMessages(library(survival))

out_dir <- "tests/reference/clogit"
data_dir <- "tests/data/stats"
gen_date <- "2026-11-23"

write_ref <- function(fit, file, command, data_file) {
  s <- summary(fit)$coefficients
  res <- data.frame(
    term = rownames(s),
    estimate = sprintf("%.15e", s[, "coef"]),
    std_error = sprintf("%.15e", s[, "se(coef)"]),
    p_value = sprintf("%.15e", s[, "Pr(>|z|)"]),
    loglik = sprintf("%.15e", fit$loglik[2]),
    loglik_null = sprintf("%.15e", fit$loglik[1]),
    n_events = fit$nevent,
    n = fit$n
  )
  con <- file(file.path(out_dir, file), "w")
  writeLines(c(
    sprintf("# software: %s; survival %s", R.version.string, as.character(packageVersion("survival"))),
    sprintf("# command: %s", command),
    sprintf("# data: %s", data_file),
    sprintf("# date: %s", gen_date),
    sprintf("# converged iterations: %d", fit$iter)
  ), con)
  write.csv(res, con, row.names = FALSE, quote = FALSE)
  close(con)
}

ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)

# (a) infert (Trichopoulos et al. 1976), shipped with R's datasets package
write.csv(datasets::infert, file.path(data_dir, "infert.csv"), row.names = FALSE)
infert_df <- read.csv(file.path(data_dir, "infert.csv"))
cmd_a <- 'clogit(case ~ spontaneous + induced + strata(stratum), data = infert, method = "exact", control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100))'
fit_a <- clogit(case ~ spontaneous + induced + strata(stratum), data = infert_df,
                method = "exact", control = ctl)
write_ref(fit_a, "infert_exact.csv", cmd_a, "tests/data/stats/infert.csv")

# (b) seeded synthetic person-month panel
panel <- read.csv(file.path(data_dir, "synthetic_panel.csv"))
panel$secm <- factor(panel$secm, levels = c("WORK", "BENEFIT", "SCHOOL_STUDENT", "OTHER_NO_INCOME"))
cmd_b <- 'clogit(offend ~ secm + partner + bio_child + age + strata(person_id), data = panel, method = "exact", control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)) with secm a factor, reference level WORK'
t0 <- proc.time()
fit_b <- clogit(offend ~ secm + partner + bio_child + age + strata(person_id), data = panel,
                method = "exact", control = ctl)
cat("synthetic fit seconds:", (proc.time() - t0)[["elapsed"]], "\n")
write_ref(fit_b, "synthetic_exact.csv", cmd_b, "tests/data/stats/synthetic_panel.csv")
print(summary(fit_a)$coefficients)
print(summary(fit_b)$coefficients)
