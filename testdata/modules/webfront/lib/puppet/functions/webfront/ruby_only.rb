# A Ruby function: gapply refuses calls to it with a clear error.
Puppet::Functions.create_function(:'webfront::ruby_only') do
  def ruby_only
    'ruby'
  end
end
