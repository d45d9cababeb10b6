# A type written for gapply's tests in the style of the public modules'
# types: the compiler reads its schema without running it.
Puppet::Type.newtype(:widget) do
  @doc = <<-DOC
    @summary Manages a widget.

    Not a real parameter: newparam(:in_doc)
  DOC

  ensurable do
    desc 'Whether the widget exists.'
    defaultvalues
    newvalue(:stopped) do
      provider.stop
    end
    defaultto :present
  end

  newparam(:label) do
    desc "The widget's label; also its #{'name'.upcase} on the system."
    isnamevar

    validate do |value|
      raise ArgumentError, format('bad label %s', value) unless value =~ /^[a-z][\w-]*$/
    end
  end

  newproperty(:colors, array_matching: :all) do
    desc 'Colours, in order.'

    def should_to_s(value)
      value = [value] unless value.is_a?(Array)
      value.join(',') % []
    end
  end

  newproperty(:size) do
    newvalues(:small, :large)
    aliasvalue(:big, :large)
  end

  newproperty(:serial) do
    newvalues(%r{^\d+$})
  end

  newparam(:force, :boolean => true, :parent => Puppet::Parameter::Boolean)

  newparam :owner do
    desc %q(Who owns it (a user name).)
  end

  autorequire(:file) do
    ["/etc/widgets/#{self[:label]}", '/etc/widgets'] << "/etc/#{{ 'a' => 'b' }['a']}"
  end
end
