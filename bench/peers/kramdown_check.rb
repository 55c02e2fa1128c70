# Parses each Govspeak file named on stdin with kramdown (the parser Govspeak builds on) and
# prints, per file: name, warnings, tables kramdown recognised.
require "kramdown"

def count_tables(element)
  (element.type == :table ? 1 : 0) + element.children.sum { |c| count_tables(c) }
end

STDIN.each_line do |name|
  name = name.strip
  text = File.read(name, encoding: "UTF-8")
  text = text.sub(/\A---\n.*?\n---\n/m, "")
  doc = Kramdown::Document.new(text, input: "kramdown")
  puts [name, doc.warnings.size, count_tables(doc.root)].join("\t")
rescue StandardError => e
  puts [name, "error: #{e.class}", 0].join("\t")
end
