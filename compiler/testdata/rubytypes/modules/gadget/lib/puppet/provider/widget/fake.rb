Puppet::Type.type(:widget).provide(:fake) do
  desc 'A provider that suits no node.'
  confine exists: '/nonexistent/widgetctl'
end
