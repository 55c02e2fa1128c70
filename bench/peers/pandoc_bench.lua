-- Converts every page listed in $PAGES_LIST (UTF-8 copies) with pandoc's own HTML reader and
-- GFM writer, in one pandoc process (pandoc -f html -t gfm, without a process per page).
-- Run as a filter on an empty document; prints `pandoc pages seconds` to stderr.
function Pandoc(doc)
  local count = 0
  local started = os.time()
  local clock = os.clock()
  for file in io.lines(os.getenv("PAGES_LIST")) do
    local f = io.open(file, "r")
    local html = f:read("a")
    f:close()
    pandoc.write(pandoc.read(html, "html"), "gfm")
    count = count + 1
  end
  io.stderr:write(string.format("pandoc %d %.3f\n", count, os.clock() - clock))
  return doc
end
