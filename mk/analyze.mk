# Static analysis of the kernel: cppcheck and gcc's -fanalyzer must report nothing.
# Suppressions are inline (cppcheck-suppress) with a comment saying why they are safe.
ANALYZE_SRCS := $(KERNEL_C)

.PHONY: analyze analyze-cppcheck analyze-gcc

analyze: analyze-cppcheck analyze-gcc

analyze-cppcheck: | deps-test
	$(Q)cppcheck --quiet --enable=warning,portability,performance --std=c11 --inline-suppr \
		--error-exitcode=1 --suppress=missingIncludeSystem -Ikernel/include -Iuapi \
		$(ANALYZE_SRCS) && echo "VLTEST PASS analyze/cppcheck" || \
		(echo "VLTEST FAIL analyze/cppcheck findings above"; exit 1)

analyze-gcc: | deps
	$(Q)fail=0; for f in $(ANALYZE_SRCS); do \
		out=$$($(CC_K) $(KCFLAGS) -fanalyzer -c $$f -o /dev/null 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; fail=1; fi; \
	done; \
	if [ $$fail = 0 ]; then echo "VLTEST PASS analyze/gcc-fanalyzer"; \
	else echo "VLTEST FAIL analyze/gcc-fanalyzer findings above"; exit 1; fi
