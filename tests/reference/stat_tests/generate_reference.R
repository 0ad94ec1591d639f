# Reference values for python_udfs.stat_tests from R's stats package.
# Run from the repository root:  Rscript tests/reference/stat_tests/generate_reference.R
# Writes the input data sets (from R's datasets package) to tests/data/stats/ and the
# results to tests/reference/stat_tests/reference.csv with '#' provenance lines.
data_dir <- "tests/data/stats"
out <- "tests/reference/stat_tests/reference.csv"

write.csv(datasets::mtcars, file.path(data_dir, "mtcars.csv"), row.names = FALSE)
write.csv(datasets::ToothGrowth, file.path(data_dir, "ToothGrowth.csv"), row.names = FALSE)
write.csv(datasets::sleep, file.path(data_dir, "sleep.csv"), row.names = FALSE)
write.csv(datasets::PlantGrowth, file.path(data_dir, "PlantGrowth.csv"), row.names = FALSE)
write.csv(datasets::InsectSprays, file.path(data_dir, "InsectSprays.csv"), row.names = FALSE)
# Presidential approval ratings (Agresti 1990, p. 350; the mcnemar.test help page),
# expanded to one row per respondent: 794 yes/yes, 150 yes/no, 86 no/yes, 570 no/no.
approval <- data.frame(
  first = rep(c(TRUE, TRUE, FALSE, FALSE), c(794, 150, 86, 570)),
  second = rep(c(TRUE, FALSE, TRUE, FALSE), c(794, 150, 86, 570))
)
write.csv(approval, file.path(data_dir, "approval.csv"), row.names = FALSE)

rows <- list()
add <- function(test, dataset, variant, h, cmd) {
  df <- if (is.null(h$parameter)) NA else unname(h$parameter[1])
  df2 <- if (length(h$parameter) > 1) unname(h$parameter[2]) else NA
  rows[[length(rows) + 1]] <<- data.frame(
    test = test, dataset = dataset, variant = variant,
    statistic = sprintf("%.17g", unname(h$statistic)), df = sprintf("%.17g", df),
    df2 = sprintf("%.17g", df2), p_value = sprintf("%.17g", h$p.value), command = cmd)
}
mt <- datasets::mtcars; tg <- datasets::ToothGrowth; sl <- datasets::sleep
pg <- datasets::PlantGrowth; is <- datasets::InsectSprays

add("chi_square", "mtcars", "cyl_x_gear", chisq.test(table(mt$cyl, mt$gear), correct = FALSE),
    "chisq.test(table(mtcars$cyl, mtcars$gear), correct = FALSE)")
add("chi_square", "mtcars", "am_x_vs", chisq.test(table(mt$am, mt$vs), correct = FALSE),
    "chisq.test(table(mtcars$am, mtcars$vs), correct = FALSE)")
add("chi_square", "mtcars", "am_x_vs_yates", chisq.test(table(mt$am, mt$vs), correct = TRUE),
    "chisq.test(table(mtcars$am, mtcars$vs), correct = TRUE)")
add("mann_whitney", "ToothGrowth", "len_by_supp_approx",
    wilcox.test(len ~ supp, data = tg, exact = FALSE, correct = TRUE),
    "wilcox.test(len ~ supp, data = ToothGrowth, exact = FALSE, correct = TRUE)")
add("mann_whitney", "mtcars", "mpg_by_am_approx",
    wilcox.test(mpg ~ am, data = mt, exact = FALSE, correct = TRUE),
    "wilcox.test(mpg ~ am, data = mtcars, exact = FALSE, correct = TRUE)")
# exact: ctrl[2:8] vs trt1[3:8] weights of PlantGrowth (no ties)
x7 <- pg$weight[pg$group == "ctrl"][2:8]; y6 <- pg$weight[pg$group == "trt1"][3:8]
stopifnot(!any(duplicated(c(x7, y6))))
add("mann_whitney", "PlantGrowth", "ctrl2to8_vs_trt1_3to8_exact", wilcox.test(x7, y6, exact = TRUE),
    "wilcox.test(PlantGrowth ctrl[2:8], trt1[3:8], exact = TRUE)")
add("t_test_ind", "ToothGrowth", "len_by_supp_student", t.test(len ~ supp, data = tg, var.equal = TRUE),
    "t.test(len ~ supp, data = ToothGrowth, var.equal = TRUE)")
add("t_test_ind", "ToothGrowth", "len_by_supp_welch", t.test(len ~ supp, data = tg, var.equal = FALSE),
    "t.test(len ~ supp, data = ToothGrowth, var.equal = FALSE)")
add("t_test_paired", "sleep", "extra_g1_vs_g2",
    t.test(sl$extra[sl$group == 1], sl$extra[sl$group == 2], paired = TRUE),
    "t.test(extra[group == 1], extra[group == 2], paired = TRUE)")
add("anova", "PlantGrowth", "weight_by_group", oneway.test(weight ~ group, data = pg, var.equal = TRUE),
    "oneway.test(weight ~ group, data = PlantGrowth, var.equal = TRUE)")
add("anova", "InsectSprays", "count_by_spray", oneway.test(count ~ spray, data = is, var.equal = TRUE),
    "oneway.test(count ~ spray, data = InsectSprays, var.equal = TRUE)")
median_table <- function(v, g) {
  m <- median(v)
  table(factor(v > m, levels = c(TRUE, FALSE)), g)
}
add("median_test", "InsectSprays", "count_by_spray",
    chisq.test(median_table(is$count, is$spray), correct = FALSE),
    "chisq.test(table(count > median(count), spray), correct = FALSE)  # ties counted below")
add("median_test", "PlantGrowth", "weight_by_group",
    chisq.test(median_table(pg$weight, pg$group), correct = FALSE),
    "chisq.test(table(weight > median(weight), group), correct = FALSE)")
add("median_test", "ToothGrowth", "len_by_supp_yates",
    chisq.test(median_table(tg$len, tg$supp), correct = TRUE),
    "chisq.test(table(len > median(len), supp), correct = TRUE)  # 2 groups: Yates")
tab <- table(approval$first, approval$second)
add("mcnemar", "approval", "chi2_corrected", mcnemar.test(tab, correct = TRUE),
    "mcnemar.test(table(first, second), correct = TRUE)")
add("mcnemar", "approval", "chi2_uncorrected", mcnemar.test(tab, correct = FALSE),
    "mcnemar.test(table(first, second), correct = FALSE)")
add("mcnemar", "approval", "exact", binom.test(86, 86 + 150, p = 0.5),
    "binom.test(86, 236, p = 0.5)  # exact McNemar: n_01 = 86, n_10 = 150")
add("mcnemar", "mtcars", "am_vs_exact", binom.test(sum(mt$am == 0 & mt$vs == 1), sum(mt$am != mt$vs), p = 0.5),
    "binom.test(sum(am == 0 & vs == 1), sum(am != vs))  # before = am, after = vs")

res <- do.call(rbind, rows)
con <- file(out, "w")
writeLines(c(
  sprintf("# software: %s (package stats)", R.version.string),
  "# command: Rscript tests/reference/stat_tests/generate_reference.R (column 'command' per row)",
  "# data: R datasets package (mtcars, ToothGrowth, sleep, PlantGrowth, InsectSprays) exported to tests/data/stats/; approval = Agresti (1990) table",
  "# date: 2026-11-23"), con)
write.csv(res, con, row.names = FALSE)
close(con)
print(res[, 1:7])
