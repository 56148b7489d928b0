// PKCS#10 requests made by BouncyCastle (bcpkix's PKCS10CertificationRequestBuilder,
// the BC provider signing), one base64 DER per line on stdout: fuzz seeds from an
// encoder nobody at Signet wrote (issue 15 item 6). Run by test/fuzz/fuzz.ts with
// Debian's bcprov/bcpkix/bcutil jars.
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Security;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

public class BcRequests {
  public static void main(String[] args) throws Exception {
    Security.addProvider(new BouncyCastleProvider());
    String[][] requests = {
      // key algorithm, parameter, signature algorithm, subject
      {"EC", "secp256r1", "SHA256withECDSA", "CN=fuzz bc p256,O=Signet,C=CN"},
      {"EC", "secp384r1", "SHA384withECDSA", "CN=fuzz bc p384,OU=Fuzz,O=Signet"},
      {"RSA", "2048", "SHA256withRSA", "CN=fuzz bc rsa,O=Signet"},
      {"RSA", "2048", "SHA256withRSAandMGF1", "CN=fuzz bc rsa-pss,O=Signet"},
      {"Ed25519", "", "Ed25519", "CN=fuzz bc ed25519"},
      {"EC", "sm2p256v1", "SM3withSM2", "CN=fuzz bc sm2,O=Signet"},
    };
    for (String[] r : requests) {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(r[0], "BC");
      if (r[0].equals("EC")) generator.initialize(new ECGenParameterSpec(r[1]));
      else if (r[0].equals("RSA")) generator.initialize(Integer.parseInt(r[1]));
      KeyPair pair = generator.generateKeyPair();
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.dNSName, "bc.fuzz.example"), new GeneralName(GeneralName.rfc822Name, "bc@fuzz.example")}));
      extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      byte[] der = new JcaPKCS10CertificationRequestBuilder(new X500Name(r[3]), pair.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder(r[2]).setProvider("BC").build(pair.getPrivate()))
          .getEncoded();
      System.out.println(Base64.getEncoder().encodeToString(der));
    }
  }
}
